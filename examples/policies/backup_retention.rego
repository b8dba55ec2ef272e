# Databases of tier-1 workloads keep automated backups for at least 14 days (the workload context comes with the
# resource as input.workload).
package onus.backup_retention

import rego.v1

metadata := {
	"control": "data.backup-retention",
	"severity": "high",
	"title": "Tier-1 databases keep 14 days of backups",
}

deny contains msg if {
	input.type == "aws_db_instance"
	input.workload.tier == 1
	retention := object.get(input.attributes, "backup_retention_period", 1)
	is_number(retention)
	retention < 14
	msg := sprintf("%s keeps backups for %d day(s); tier-1 workloads keep at least 14", [input.address, retention])
}
