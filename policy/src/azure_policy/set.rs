//! Loading a set of files: definitions, initiatives resolved against the whole set, and
//! parameter binding (initiative values → member definitions → effects).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::condition::Issue;
use super::load::{
    bind_params, error_at, member_values, parse_file, references, resolve_effect, Doc, Initiative,
    Policy,
};
use super::span::SpanIndex;
use super::{AzureDefinition, LoadError, Member};

pub(super) fn load_set<'a, I>(files: I) -> Result<Vec<AzureDefinition>, LoadError>
where
    I: IntoIterator<Item = (&'a Path, &'a str)>,
{
    let mut parsed = Vec::new();
    for (path, text) in files {
        parsed.push(parse_file(path, text)?);
    }
    let mut policies: Vec<(Arc<Policy>, Arc<SpanIndex>)> = Vec::new();
    let mut initiatives: Vec<(Arc<Initiative>, Arc<SpanIndex>)> = Vec::new();
    for f in &parsed {
        for (doc, _) in &f.docs {
            match doc {
                Doc::Policy(p) => policies.push((p.clone(), f.spans.clone())),
                Doc::Initiative(i) => initiatives.push((i.clone(), f.spans.clone())),
            }
        }
    }

    let mut referenced = vec![false; policies.len()];
    let mut out = Vec::new();
    for (init, spans) in &initiatives {
        for m in &init.members {
            let hits: Vec<usize> = policies
                .iter()
                .enumerate()
                .filter(|(_, (p, _))| references(&m.definition_id, p))
                .map(|(i, _)| i)
                .collect();
            match hits.as_slice() {
                [] => {
                    return Err(error_at(
                        &init.file,
                        spans,
                        Issue::new(
                            &m.pointer,
                            format!(
                            "policyDefinitionId '{}' matches no loaded definition (by name or id)",
                            m.definition_id
                        ),
                        ),
                    ))
                }
                [i] => referenced[*i] = true,
                many => {
                    let places: Vec<String> = many
                        .iter()
                        .map(|i| {
                            let p = &policies[*i].0;
                            format!("{}:{}", p.file.display(), p.line)
                        })
                        .collect();
                    return Err(error_at(
                        &init.file,
                        spans,
                        Issue::new(
                            &m.pointer,
                            format!(
                                "policyDefinitionId '{}' matches several definitions: {}",
                                m.definition_id,
                                places.join(", ")
                            ),
                        ),
                    ));
                }
            }
        }
        let defs: Vec<Arc<Policy>> = policies.iter().map(|(p, _)| p.clone()).collect();
        out.push(bind_initiative(init, spans, &defs, &[]).map_err(|e| *e)?);
    }
    for (i, (p, spans)) in policies.iter().enumerate() {
        if !referenced[i] {
            out.push(bind_definition(p, spans, &[]).map_err(|e| *e)?);
        }
    }
    Ok(out)
}

pub(super) fn bind_definition(
    p: &Arc<Policy>,
    spans: &SpanIndex,
    given: &[(String, Value, String)],
) -> Result<AzureDefinition, Box<LoadError>> {
    let values = bind_params(&p.params, given, None, &p.name)
        .map_err(|i| Box::new(error_at(&p.file, spans, i)))?;
    let effect = resolve_effect(p, &values)
        .map_err(|m| Box::new(error_at(&p.file, spans, Issue::new(&p.effect_pointer, m))))?;
    Ok(AzureDefinition {
        id: p.name.clone(),
        display_name: p.display_name.clone(),
        description: p.description.clone(),
        metadata: p.metadata.clone(),
        file: p.file.clone(),
        line: p.line,
        initiative: None,
        members: vec![Member {
            policy: p.clone(),
            values,
            effect,
            reference_id: None,
        }],
    })
}

pub(super) fn bind_initiative(
    init: &Arc<Initiative>,
    spans: &SpanIndex,
    policies: &[Arc<Policy>],
    given: &[(String, Value, String)],
) -> Result<AzureDefinition, Box<LoadError>> {
    let err = |i: Issue| Box::new(error_at(&init.file, spans, i));
    let init_values = bind_params(&init.params, given, None, &init.name).map_err(err)?;
    let mut members = Vec::new();
    for m in &init.members {
        let policy = policies
            .iter()
            .find(|p| references(&m.definition_id, p))
            .cloned()
            .ok_or_else(|| {
                err(Issue::new(
                    &m.pointer,
                    format!(
                        "policyDefinitionId '{}' matches no loaded definition",
                        m.definition_id
                    ),
                ))
            })?;
        let vals = member_values(m, &init_values).map_err(err)?;
        let values =
            bind_params(&policy.params, &vals, Some(&m.pointer), &policy.name).map_err(err)?;
        let effect = resolve_effect(&policy, &values)
            .map_err(|msg| err(Issue::new(&m.pointer, format!("{}: {msg}", policy.name))))?;
        members.push(Member {
            policy,
            values,
            effect,
            reference_id: m.reference_id.clone(),
        });
    }
    Ok(AzureDefinition {
        id: init.name.clone(),
        display_name: init.display_name.clone(),
        description: init.description.clone(),
        metadata: init.metadata.clone(),
        file: init.file.clone(),
        line: init.line,
        initiative: Some(init.clone()),
        members,
    })
}
