//! `--data` documents: JSON or YAML merged under `data.`, as conftest (OPA's loader) does: a
//! file named directly lands at the root; files found under a directory land under their
//! sub-directory path (`dir/a/b/x.yaml` → `data.a.b`).

use crate::error::Error;
use serde_json::Value as Json;
use std::path::Path;

/// Reads every data document of the given files and directories.
pub fn load_data_documents(paths: &[String]) -> Result<Vec<Json>, Error> {
    let mut docs = Vec::new();
    for path in paths {
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| Error::io(path.clone(), e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            crate::cli::files::walk(p, &mut files).map_err(|e| Error::io(path.clone(), e))?;
            for file in files {
                if !is_data_file(&file) {
                    continue;
                }
                let prefix: Vec<String> = file
                    .parent()
                    .and_then(|d| d.strip_prefix(p).ok())
                    .map(|rel| {
                        rel.components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                let doc = read_document(&file.to_string_lossy())?;
                docs.push(nest(prefix, doc));
            }
        } else {
            docs.push(read_document(path)?);
        }
    }
    Ok(docs)
}

fn is_data_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "yaml" | "yml")
    )
}

fn nest(prefix: Vec<String>, doc: Json) -> Json {
    prefix.into_iter().rev().fold(doc, |inner, key| {
        let mut map = serde_json::Map::new();
        map.insert(key, inner);
        Json::Object(map)
    })
}

fn read_document(path: &str) -> Result<Json, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let doc: Json = if path.ends_with(".json") {
        serde_json::from_str(&text).map_err(|e| {
            Error::Policy(format!(
                "{path}:{}:{}: invalid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?
    } else {
        serde_yaml_ng::from_str(&text).map_err(|e| match e.location() {
            Some(loc) => Error::Policy(format!(
                "{path}:{}:{}: invalid YAML: {e}",
                loc.line(),
                loc.column()
            )),
            None => Error::Policy(format!("{path}: invalid YAML: {e}")),
        })?
    };
    if !doc.is_object() {
        return Err(Error::Policy(format!(
            "{path}: a data document must be an object (it is merged under data.)"
        )));
    }
    Ok(doc)
}
