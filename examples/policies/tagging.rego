# Every AWS resource a workload owns carries the `app` tag, so that cost, ownership and incident routing can find it.
package onus.tagging

metadata := {
	"control": "ops.configuration-management",
	"severity": "low",
	"title": "AWS resources carry the app tag",
}

taggable := {"aws_db_instance", "aws_s3_bucket", "aws_lb", "aws_launch_template", "aws_dynamodb_table", "aws_kms_key"}

deny[msg] {
	taggable[input.type]
	not input.tags.app
	msg := sprintf("%s has no `app` tag", [input.address])
}
