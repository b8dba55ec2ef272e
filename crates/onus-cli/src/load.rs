//! The file-system edge: reading the catalog layers and the workload manifests, and turning diagnostics into the
//! CLI's error.

use onus_core::catalog::{self, Catalog, SourceFile};
use onus_core::diag::{Code, Diagnostic, Pos};
use onus_core::manifest::{self, LoadedWorkload};
use std::path::{Path, PathBuf};

/// Bad input: diagnostics to print, then exit code 2.
#[derive(Debug)]
pub struct InputError(pub Vec<Diagnostic>);

impl InputError {
    pub fn one(code: Code, file: &str, message: impl Into<String>, help: Option<String>) -> Self {
        let mut d = Diagnostic::new(code, file, Pos::START, message);
        d.help = help;
        InputError(vec![d])
    }
}

/// The bundled catalog as source files.
pub fn bundled() -> Vec<SourceFile> {
    onus_catalog_data::files()
        .iter()
        .map(|(p, t)| SourceFile::new(format!("<bundled>/catalog/{p}"), *t))
        .collect()
}

/// Read every `*.yaml` / `*.yml` below `path` (or `path` itself when it is a file), sorted by path.
pub fn read_yaml_files(path: &Path) -> Result<Vec<SourceFile>, InputError> {
    let mut paths = Vec::new();
    collect(path, &mut paths)?;
    paths.sort();
    paths.iter().map(|p| read(p)).collect()
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|e| io_error(path, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(path, &e))?;
        let p = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect(&p, out)?;
        } else if is_yaml(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

pub fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn io_error(p: &Path, e: &std::io::Error) -> InputError {
    InputError::one(
        Code::IoError,
        &display(p),
        format!("cannot read: {e}"),
        None,
    )
}

pub fn read(p: &Path) -> Result<SourceFile, InputError> {
    let bytes = std::fs::read(p).map_err(|e| io_error(p, &e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        InputError::one(
            Code::IoError,
            &display(p),
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            None,
        )
    })?;
    Ok(SourceFile::new(display(p), text))
}

/// The catalog: bundled entries, then `--catalog` directories in order. Errors are fatal; warnings are dropped (they
/// are `onus catalog lint`'s business).
pub fn catalog(extra: &[PathBuf]) -> Result<Catalog, InputError> {
    let mut layers = vec![bundled()];
    for dir in extra {
        push_layer(&mut layers, read_yaml_files(dir)?);
    }
    let (cat, diags) = catalog::build(&layers);
    let errors: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
    if errors.is_empty() {
        Ok(cat)
    } else {
        Err(InputError(errors))
    }
}

/// Add a layer. A layer that has its own `controls.yaml` is a complete catalog and replaces what came before it
/// (linting a checkout of the catalog itself, or an organization that keeps its own taxonomy).
pub fn push_layer(layers: &mut Vec<Vec<SourceFile>>, layer: Vec<SourceFile>) {
    let complete = layer.iter().any(|f| {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        name == "controls.yaml" || name == "controls.yml"
    });
    if complete {
        layers.clear();
    }
    layers.push(layer);
}

/// The manifest files of a project: `PATH` itself when it is a file; otherwise `onus.yaml` (or `.yml`) and
/// `workloads/*.yaml` under it.
pub fn manifest_files(path: &Path) -> Result<Vec<SourceFile>, InputError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if meta.is_file() {
        return Ok(vec![read(path)?]);
    }
    let mut files = Vec::new();
    for name in ["onus.yaml", "onus.yml"] {
        let p = path.join(name);
        if p.is_file() {
            files.push(read(&p)?);
        }
    }
    let wdir = path.join("workloads");
    if wdir.is_dir() {
        files.extend(read_yaml_files(&wdir)?);
    }
    if files.is_empty() {
        return Err(InputError::one(
            Code::NoManifest,
            &display(path),
            "no onus.yaml or workloads/*.yaml here",
            Some("run `onus init` to write a starter manifest".into()),
        ));
    }
    Ok(files)
}

/// Load and validate the workloads of a project.
pub fn workloads(cat: &Catalog, path: &Path) -> Result<Vec<LoadedWorkload>, InputError> {
    let files = manifest_files(path)?;
    let (ws, diags) = manifest::load(cat, &files);
    let errors: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
    if errors.is_empty() {
        Ok(ws)
    } else {
        Err(InputError(errors))
    }
}
