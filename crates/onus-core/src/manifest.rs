//! Workload manifests: loading (`onus.yaml`, `workloads/*.yaml`) and validation against the catalog. An unknown
//! service, variant, control or component is an error with a suggestion, never a silent default.

use crate::catalog::{parse_date, unknown_control, Catalog, SourceFile};
use crate::diag::{suggest, Code, Diagnostic, Pos};
use crate::doc::{self, Kind};
use crate::model::{ManifestFile, Workload};
use std::collections::HashMap;

/// A workload and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedWorkload {
    pub file: String,
    pub workload: Workload,
}

/// Load and validate every manifest file. Workloads with errors are still returned when they parsed, so that a
/// caller can show what it can; any error diagnostic means the input is bad (exit code 2).
pub fn load(cat: &Catalog, files: &[SourceFile]) -> (Vec<LoadedWorkload>, Vec<Diagnostic>) {
    let (w, _, d) = load_with_waivers(cat, files);
    (w, d)
}

/// [`load`], and the waivers of every file (with the file they came from).
#[allow(clippy::type_complexity)]
pub fn load_with_waivers(
    cat: &Catalog,
    files: &[SourceFile],
) -> (
    Vec<LoadedWorkload>,
    Vec<(String, crate::model::Waiver)>,
    Vec<Diagnostic>,
) {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    let mut waivers = Vec::new();
    let mut names: HashMap<String, (String, Pos)> = HashMap::new();
    for f in files {
        let (doc, ds) = doc::load::<ManifestFile>(Kind::Manifest, &f.path, &f.text);
        diags.extend(ds);
        let Some(doc) = doc else { continue };
        waivers.extend(
            doc.value
                .waivers
                .iter()
                .map(|w| (f.path.clone(), w.clone())),
        );
        for (i, wv) in doc.value.waivers.iter().enumerate() {
            let base = format!("/waivers/{i}");
            let at = |p: &str| doc.spans.value(&format!("{base}{p}"));
            if wv.check.is_some() == wv.control.is_some() {
                diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        &f.path,
                        at(""),
                        "a waiver names either `check` or `control`, not both and not neither",
                    )
                    .with_help("e.g. `check: aws-rds-multi-az`"),
                );
            }
            if let Some(c) = &wv.control {
                if cat.control(c).is_none() {
                    diags.push(unknown_control(cat, &f.path, at("/control"), c));
                }
            }
            if wv.reason.trim().is_empty() {
                diags.push(
                    Diagnostic::new(
                        Code::MissingReason,
                        &f.path,
                        at("/reason"),
                        "a waiver has no reason",
                    )
                    .with_help("say why the risk is accepted"),
                );
            }
            if wv.approver.trim().is_empty() {
                diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        &f.path,
                        at("/approver"),
                        "a waiver has no approver",
                    )
                    .with_help("name who accepted the risk"),
                );
            }
            if parse_date(&wv.expires).is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDate,
                        &f.path,
                        at("/expires"),
                        format!("`{}` is not a date", wv.expires),
                    )
                    .with_help("waivers expire: write the date as YYYY-MM-DD"),
                );
            }
        }
        for (wi, w) in doc.value.workloads.iter().enumerate() {
            let base = format!("/workloads/{wi}");
            let at = |p: &str| doc.spans.value(&format!("{base}{p}"));
            let key_at = |p: &str| doc.spans.key(&format!("{base}{p}"));
            if let Some((file, pos)) = names.get(&w.name) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateWorkload,
                        &f.path,
                        at("/name"),
                        format!("workload `{}` is defined twice", w.name),
                    )
                    .with_help(format!("first defined at {file}:{}:{}", pos.line, pos.col)),
                );
            } else {
                names.insert(w.name.clone(), (f.path.clone(), at("/name")));
            }
            let mut comp_names: HashMap<&str, usize> = HashMap::new();
            for (ci, c) in w.components.iter().enumerate() {
                let cp = format!("/components/{ci}");
                if comp_names.insert(c.name.as_str(), ci).is_some() {
                    diags.push(Diagnostic::new(
                        Code::DuplicateWorkload,
                        &f.path,
                        at(&format!("{cp}/name")),
                        format!(
                            "component `{}` appears twice in workload `{}`",
                            c.name, w.name
                        ),
                    ));
                }
                match cat.service(&c.service) {
                    Err(nf) => {
                        let d = Diagnostic::new(
                            Code::UnknownService,
                            &f.path,
                            at(&format!("{cp}/service")),
                            format!("unknown service `{}`", c.service),
                        );
                        diags.push(match nf.suggestion {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help("run `onus catalog list` for the services onus knows, or add your own with `--catalog DIR`"),
                        });
                    }
                    Ok(svc) => {
                        if let Some(v) = &c.variant {
                            if let Err(nf) = cat.variant(svc, v) {
                                let d = Diagnostic::new(
                                    Code::UnknownVariant,
                                    &f.path,
                                    at(&format!("{cp}/variant")),
                                    format!("`{}` has no variant `{v}`", svc.id),
                                );
                                let valid: Vec<&str> =
                                    svc.variants.keys().map(String::as_str).collect();
                                diags.push(match (nf.suggestion, valid.is_empty()) {
                                    (Some(s), _) => d.with_help(format!("did you mean `{s}`?")),
                                    (None, true) => d.with_help(format!(
                                        "`{}` declares no variants; remove `variant:`",
                                        svc.id
                                    )),
                                    (None, false) => {
                                        d.with_help(format!("variants: {}", valid.join(", ")))
                                    }
                                });
                            }
                        }
                    }
                }
            }
            for (i, name) in w.overlays.iter().enumerate() {
                if !cat.templates.overlays.contains_key(name) {
                    let d = Diagnostic::new(
                        Code::UnknownTemplate,
                        &f.path,
                        at(&format!("/overlays/{i}")),
                        format!("unknown overlay `{name}`"),
                    );
                    let names = cat.templates.overlays.keys().map(String::as_str);
                    diags.push(match suggest(name, names.clone()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None => d.with_help(format!(
                            "overlays: {}",
                            names.collect::<Vec<_>>().join(", ")
                        )),
                    });
                }
            }
            for (cid, o) in &w.overrides {
                let op = format!("/overrides/{}", crate::yaml::escape(cid));
                if cat.control(cid).is_none() {
                    diags.push(unknown_control(cat, &f.path, key_at(&op), cid));
                }
                if o.reason.trim().is_empty() {
                    diags.push(
                        Diagnostic::new(
                            Code::MissingReason,
                            &f.path,
                            key_at(&op),
                            format!("override of `{cid}` has no reason"),
                        )
                        .with_help(
                            "add `reason:` saying why this workload departs from the catalog",
                        ),
                    );
                }
                for (i, name) in o.components.iter().enumerate() {
                    if !comp_names.contains_key(name.as_str()) {
                        let d = Diagnostic::new(
                            Code::UnknownComponent,
                            &f.path,
                            at(&format!("{op}/components/{i}")),
                            format!("override of `{cid}` names component `{name}`, which workload `{}` does not have", w.name),
                        );
                        diags.push(match suggest(name, comp_names.keys().copied()) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d,
                        });
                    }
                }
            }
            for cid in w.evidence.keys() {
                if cat.control(cid).is_none() {
                    diags.push(unknown_control(
                        cat,
                        &f.path,
                        key_at(&format!("/evidence/{}", crate::yaml::escape(cid))),
                        cid,
                    ));
                }
            }
            if let Some(last) = w.review.as_ref().and_then(|r| r.last_review.as_deref()) {
                if parse_date(last).is_none() {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidDate,
                            &f.path,
                            at("/review/last-review"),
                            format!("`{last}` is not a date"),
                        )
                        .with_help("write it as YYYY-MM-DD"),
                    );
                }
            }
            if !(1..=4).contains(&w.tier) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        &f.path,
                        at("/tier"),
                        format!("tier {} is out of range", w.tier),
                    )
                    .with_help("risk tiers run from 1 (most critical) to 4"),
                );
            }
            out.push(LoadedWorkload {
                file: f.path.clone(),
                workload: w.clone(),
            });
        }
    }
    (out, waivers, diags)
}
