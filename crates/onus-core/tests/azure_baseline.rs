//! Cross-check of the catalog's Azure cells against Microsoft's own Azure security baselines v3
//! (tests/data/azure-security-baselines-v3.csv: MicrosoftDocs/SecurityBenchmarks, CC BY 4.0, (c) Microsoft).
//!
//! Where a baseline feature maps onto an onus control, the baseline's responsibility is compared with the catalog's
//! owner. A baseline "Customer" or "Shared" agrees with an onus cell that puts a duty on the customer (customer or
//! shared). The baseline's "Microsoft" means, in its own guidance text, "no additional configurations are required as
//! this is enabled on a default deployment": Microsoft delivers the feature, so it agrees with a cell where the
//! provider carries a stated duty (provider or shared) and disagrees with one that leaves the control to the customer
//! alone. One feature reads differently: "Local Authentication Methods for Data Plane Access" rated "Microsoft" says
//! that keys or passwords are enabled by default, so whenever the feature is supported the customer has credentials
//! to manage. "Not Applicable" rows (the feature is not supported) are not compared.
//! Every disagreement must carry a justification in the catalog: a `note` on the cell that names the baseline and says
//! why the catalog departs from it (a newer page, a different scope). No disagreement may favour the provider (the
//! baseline puts a duty on the customer and the catalog does not). The test prints the agreement rate and every
//! disagreement; the target, 95%, is asserted.

mod common;

use onus_core::Owner;
use std::collections::BTreeMap;

/// onus service id -> the service's name in the baseline file.
const SERVICES: &[(&str, &str)] = &[
    (
        "azure:virtual-machines",
        "virtual-machines-linux virtual machines",
    ),
    ("azure:app-service", "app-service"),
    ("azure:sql-database", "azure-sql"),
    ("azure:functions", "functions"),
    ("azure:aks", "azure-kubernetes-service-aks"),
    ("azure:blob-storage", "storage"),
    ("azure:files", "storage"),
    ("azure:key-vault", "key-vault"),
    ("azure:monitor", "azure-monitor"),
    ("azure:cosmos-db", "azure-cosmos-db"),
    ("azure:service-bus", "service-bus"),
    ("azure:application-gateway", "application-gateway"),
    ("azure:container-apps", "azure-container-apps"),
    ("azure:container-registry", "container-registry"),
    ("azure:virtual-network", "virtual-network"),
    ("azure:front-door", "azure-front-door"),
    ("azure:firewall", "azure-firewall"),
    ("azure:ddos-protection", "azure-ddos-protection"),
    ("azure:dns", "azure-dns"),
    ("azure:load-balancer", "azure-load-balancer"),
    ("azure:vm-scale-sets", "virtual-machine-scale-sets"),
    (
        "azure:postgresql",
        "azure-database-for-postgresql-flexible-server",
    ),
    ("azure:mysql", "azure-database-for-mysql--flexible-server"),
    ("azure:cache-for-redis", "azure-cache-for-redis"),
    ("azure:event-hubs", "event-hubs"),
    ("azure:event-grid", "event-grid"),
    ("azure:logic-apps", "logic-apps"),
    ("azure:api-management", "api-management"),
    ("azure:defender-for-cloud", "microsoft-defender-for-cloud"),
    ("azure:sentinel", "microsoft-sentinel"),
    ("azure:machine-learning", "machine-learning-service"),
    ("azure:automation", "automation"),
    (
        "azure:entra-domain-services",
        "azure-active-directory-domain-services",
    ),
    ("azure:advisor", "azure-advisor"),
    ("azure:analysis-services", "azure-analysis-services"),
    ("azure:app-configuration", "azure-app-configuration"),
    ("azure:arc-kubernetes", "azure-arc-enabled-kubernetes"),
    ("azure:arc-servers", "azure-arc-enabled-servers"),
    ("azure:bastion", "azure-bastion"),
    ("azure:bot-service", "azure-bot-service"),
    ("azure:ai-search", "azure-cognitive-search"),
    (
        "azure:communication-services",
        "azure-communication-services",
    ),
    (
        "azure:cosmos-db-postgresql",
        "azure-cosmos-db-for-postgresql",
    ),
    ("azure:data-box", "azure-data-box"),
    ("azure:data-explorer", "azure-data-explorer"),
    ("azure:data-share", "azure-data-share"),
    (
        "azure:database-migration-service",
        "azure-database-migration-service",
    ),
    ("azure:databricks", "azure-databricks"),
    ("azure:dedicated-hsm", "azure-dedicated-hsm"),
    ("azure:devtest-labs", "azure-devtest-labs"),
    ("azure:digital-twins", "azure-digital-twins"),
    ("azure:file-sync", "azure-file-sync"),
    ("azure:firewall-manager", "azure-firewall-manager"),
    ("azure:hpc-cache", "azure-hpc-cache"),
    ("azure:lighthouse", "azure-lighthouse"),
    ("azure:managed-applications", "azure-managed-applications"),
    ("azure:managed-lustre", "azure-managed-lustre"),
    ("azure:migrate", "azure-migrate"),
    ("azure:nat-gateway", "azure-nat-gateway"),
    ("azure:netapp-files", "azure-netapp-files"),
    ("azure:openai", "azure-openai"),
    ("azure:policy", "azure-policy"),
    ("azure:private-link", "azure-private-link"),
    ("azure:public-ip", "azure-public-ip"),
    ("azure:purview", "azure-purview"),
    ("azure:red-hat-openshift", "azure-red-hat-openshift-(aro)"),
    ("azure:resource-manager", "azure-resource-manager"),
    ("azure:signalr", "azure-signalr-service"),
    ("azure:spring-apps", "azure-spring-apps"),
    ("azure:stream-analytics", "azure-stream-analytics"),
    ("azure:synapse", "azure-synapse-analytics"),
    ("azure:virtual-desktop", "azure-virtual-desktop"),
    ("azure:vmware-solution", "azure-vmware-solution"),
    (
        "azure:web-application-firewall",
        "azure-web-application-firewall",
    ),
    ("azure:web-pubsub", "azure-web-pubsub"),
    ("azure:backup", "backup"),
    ("azure:batch", "batch"),
    ("azure:cloud-shell", "cloud-shell"),
    ("azure:ai-services", "cognitive-services"),
    ("azure:container-instances", "container-instances"),
    ("azure:cdn", "content-delivery-network"),
    (
        "azure:customer-lockbox",
        "customer-lockbox-for-microsoft-azure",
    ),
    ("azure:data-factory", "data-factory"),
    ("azure:iot-central", "iot-central"),
    ("azure:iot-hub", "iot-hub"),
    ("azure:key-vault-managed-hsm", "key-vault-managed-hsm"),
    ("azure:attestation", "microsoft-azure-attestation"),
    (
        "azure:managed-cassandra",
        "microsoft-azure-managed-instance-for-apache-cassandra",
    ),
    ("azure:defender-for-iot", "microsoft-defender-for-iot"),
    ("azure:network-watcher", "network-watcher"),
    ("azure:notification-hubs", "notification-hubs"),
    ("azure:site-recovery", "site-recovery"),
    ("azure:sql-server-vms", "sql-iaas"),
    ("azure:traffic-manager", "traffic-manager"),
    ("azure:virtual-wan", "virtual-wan"),
    ("azure:vpn-gateway", "vpn-gateway"),
    ("azure:sql-managed-instance", "azure-sql"),
    ("azure:queue-storage", "storage"),
];

/// Baseline feature -> onus control, where the feature is that control (not merely related to it).
const FEATURES: &[(&str, &str)] = &[
    (
        "Sensitive Data Discovery and Classification",
        "data.classification",
    ),
    (
        "Data in Transit Encryption",
        "network.encryption-in-transit",
    ),
    (
        "Data at Rest Encryption Using Platform Keys",
        "data.encryption-at-rest",
    ),
    ("Data at Rest Encryption Using CMK", "data.key-management"),
    ("Azure Backup", "data.backup"),
    ("Service Native Backup Capability", "data.backup"),
    (
        "Local Authentication Methods for Data Plane Access",
        "identity.credentials",
    ),
    ("Azure RBAC for Data Plane", "identity.access-policies"),
    (
        "Microsoft Defender for Service / Product Offering",
        "monitoring.threat-detection",
    ),
    ("Azure Resource Logs", "logging.access"),
    ("Network Security Group Support", "network.access-control"),
    ("Azure Private Link", "network.access-control"),
    ("Disable Public Network Access", "network.access-control"),
    ("Anti-Malware Solution", "host.malware-protection"),
    ("Azure Automation Update Management", "host.os-patching"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Customer,
    Provider,
}

#[test]
fn azure_cells_agree_with_microsofts_security_baselines() {
    let text =
        std::fs::read_to_string(common::repo().join("tests/data/azure-security-baselines-v3.csv"))
            .unwrap();
    let rows = common::parse_csv(&text);
    let head = &rows[0];
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (c_service, c_resp, c_feature) =
        (col("service"), col("responsibility"), col("feature_name"));

    // (baseline service, control) -> the side the baseline puts the duty on.
    let mut expected: BTreeMap<(String, &str), Side> = BTreeMap::new();
    for r in &rows[1..] {
        let Some((_, control)) = FEATURES.iter().find(|(f, _)| *f == r[c_feature]) else {
            continue;
        };
        let side = match r[c_resp].as_str() {
            "Customer" | "Shared" => Side::Customer,
            // Local keys or passwords enabled by default are credentials the customer must look after.
            "Microsoft" if *control == "identity.credentials" => Side::Customer,
            "Microsoft" => Side::Provider,
            _ => continue,
        };
        let e = expected
            .entry((r[c_service].clone(), control))
            .or_insert(side);
        // Any customer-side feature puts a duty on the customer for the control.
        if side == Side::Customer {
            *e = Side::Customer;
        }
    }

    let (cat, _) = common::bundled();
    let (mut compared, mut agreed) = (0usize, 0usize);
    let mut unjustified = Vec::new();
    let mut favours_provider = Vec::new();
    let mut report = String::new();
    for (id, baseline) in SERVICES {
        let Ok(svc) = cat.service(id) else { continue };
        for ((b, control), side) in expected.range((baseline.to_string(), "")..) {
            if b != baseline {
                break;
            }
            let Some(cell) = svc.controls.get(*control) else {
                continue;
            };
            compared += 1;
            let owner = cell.owner.resolved();
            let agrees = match side {
                Side::Customer => owner.customer_has_duty(),
                Side::Provider => matches!(owner, Owner::Provider | Owner::Shared),
            };
            if agrees {
                agreed += 1;
                continue;
            }
            let justified = cell
                .note
                .as_deref()
                .is_some_and(|n| n.to_ascii_lowercase().contains("baseline"));
            report.push_str(&format!(
                "  {id} {control}: baseline {side:?}, catalog {}{}\n",
                owner.as_str(),
                if justified {
                    " (justified in the cell's note)"
                } else {
                    " (NO JUSTIFICATION)"
                }
            ));
            if !justified {
                unjustified.push(format!("{id} {control}"));
            }
            if *side == Side::Customer {
                favours_provider.push(format!(
                    "{id} {control}: baseline puts it on the customer, catalog says {}",
                    owner.as_str()
                ));
            }
        }
    }
    let rate = agreed as f64 * 100.0 / compared.max(1) as f64;
    println!(
        "Azure baseline cross-check: {agreed} of {compared} comparable cells agree ({rate:.1}%)"
    );
    print!("{report}");
    assert!(compared >= 80, "too few comparable cells: {compared}");
    assert!(
        unjustified.is_empty(),
        "disagreements without a justification: {unjustified:#?}"
    );
    assert!(
        favours_provider.is_empty(),
        "cells that favour the provider: {favours_provider:#?}"
    );
    // The target. Measured 99.3% over 538 cells on 2026-11-28; every disagreement puts more on the customer,
    // with a note.
    assert!(rate >= 95.0, "agreement {rate:.1}% is below the 95% target");
}
