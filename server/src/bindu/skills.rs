//! The agent manifest and its skills: read once at start-up, from
//! `--bindu-agent-config` or the manifest that ships (`server/data/bindu/`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use quartet_api::bindu::{JsonObject, SkillDetail, SkillSummary};
use serde::Deserialize;

/// The manifest file as written.
#[derive(Debug, Deserialize)]
struct ManifestFile {
    name: String,
    description: String,
    author: String,
    version: String,
    #[serde(default)]
    skills: Vec<PathBuf>,
}

/// One skill manifest as written (snake_case YAML).
#[derive(Debug, Clone, Deserialize)]
struct SkillFile {
    id: String,
    name: String,
    #[serde(default = "unknown")]
    version: String,
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default = "default_modes")]
    input_modes: Vec<String>,
    #[serde(default = "default_modes")]
    output_modes: Vec<String>,
    author: Option<String>,
    examples: Option<Vec<String>>,
    capabilities_detail: Option<JsonObject>,
    requirements: Option<JsonObject>,
    performance: Option<JsonObject>,
    allowed_tools: Option<Vec<String>>,
    documentation: Option<JsonObject>,
    assessment: Option<JsonObject>,
}

fn unknown() -> String {
    "unknown".into()
}

fn default_modes() -> Vec<String> {
    vec!["text/plain".into(), "application/json".into()]
}

/// A loaded skill: its manifest, the file as written, and where it came from.
#[derive(Debug, Clone)]
pub struct Skill {
    /// The full detail (`/agent/skills/{id}`).
    pub detail: SkillDetail,
    /// The manifest text (`/agent/skills/{id}/documentation`).
    pub source: String,
}

impl Skill {
    /// The summary (`/agent/skills`).
    pub fn summary(&self) -> SkillSummary {
        let d = &self.detail;
        SkillSummary {
            id: d.id.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            version: d.version.clone(),
            tags: d.tags.clone(),
            input_modes: d.input_modes.clone(),
            output_modes: d.output_modes.clone(),
            examples: d.examples.clone(),
            documentation_path: d.documentation_path.clone(),
        }
    }

    /// The negotiation keywords: tags and `assessment.keywords`, lower case, distinct.
    pub fn keywords(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let extra = self
            .detail
            .assessment
            .as_ref()
            .and_then(|a| a.get("keywords"))
            .and_then(|k| k.as_array())
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned));
        for k in self.detail.tags.iter().cloned().chain(extra) {
            let k = k.to_lowercase();
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }

    /// `performance.avg_processing_time_ms`, if stated.
    pub fn avg_processing_ms(&self) -> Option<i64> {
        self.detail
            .performance
            .as_ref()
            .and_then(|p| p.get("avg_processing_time_ms"))
            .and_then(|v| v.as_i64())
    }
}

/// The agent's self-description.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Agent name (part of the DID).
    pub name: String,
    /// What it does.
    pub description: String,
    /// Who made it (part of the DID).
    pub author: String,
    /// Its version.
    pub version: String,
    /// Its skills.
    pub skills: Vec<Skill>,
}

const DEFAULT_MANIFEST: &str = include_str!("../../data/bindu/agent.yaml");
const DEFAULT_SKILLS: [(&str, &str); 1] = [(
    "skills/echo/skill.yaml",
    include_str!("../../data/bindu/skills/echo/skill.yaml"),
)];

impl Manifest {
    /// The manifest at `path`, or the one that ships.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        match path {
            None => Self::parse(DEFAULT_MANIFEST, |p| {
                DEFAULT_SKILLS
                    .iter()
                    .find(|(name, _)| Path::new(name) == p)
                    .map(|(_, text)| (*text).to_owned())
                    .with_context(|| format!("no shipped skill {}", p.display()))
            }),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
                Self::parse(&text, |p| {
                    let full = dir.join(p);
                    std::fs::read_to_string(&full)
                        .with_context(|| format!("reading {}", full.display()))
                })
            }
        }
    }

    fn parse(text: &str, read: impl Fn(&Path) -> Result<String>) -> Result<Self> {
        let file: ManifestFile = serde_norway::from_str(text).context("the agent manifest")?;
        let mut skills: Vec<Skill> = Vec::new();
        for path in &file.skills {
            let source = read(path)?;
            let s: SkillFile = serde_norway::from_str(&source)
                .with_context(|| format!("skill manifest {}", path.display()))?;
            if skills.iter().any(|k| k.detail.id == s.id) {
                bail!("skill id {:?} appears twice", s.id);
            }
            skills.push(Skill {
                detail: SkillDetail {
                    id: s.id,
                    name: s.name,
                    description: s.description,
                    tags: s.tags,
                    input_modes: s.input_modes,
                    output_modes: s.output_modes,
                    version: s.version,
                    author: s.author,
                    examples: s.examples,
                    capabilities_detail: s.capabilities_detail,
                    requirements: s.requirements,
                    performance: s.performance,
                    allowed_tools: s.allowed_tools,
                    documentation: s.documentation,
                    assessment: s.assessment,
                    documentation_path: Some(path.display().to_string()),
                    has_documentation: !source.trim().is_empty(),
                },
                source,
            });
        }
        Ok(Self {
            name: file.name,
            description: file.description,
            author: file.author,
            version: file.version,
            skills,
        })
    }

    /// The skill with this id.
    pub fn skill(&self, id: &str) -> Option<&Skill> {
        self.skills.iter().find(|s| s.detail.id == id)
    }

    /// Output modes of every skill together (what `acceptedOutputModes` must meet).
    pub fn output_modes(&self) -> Vec<String> {
        let mut out = default_modes();
        for s in &self.skills {
            for m in &s.detail.output_modes {
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_manifest_loads() {
        let m = Manifest::load(None).unwrap();
        assert_eq!(m.name, "quartet_echo");
        let echo = m.skill("echo-v1").unwrap();
        assert_eq!(
            echo.keywords(),
            ["echo", "text", "testing", "repeat", "mirror", "parrot", "copy"]
        );
        assert_eq!(echo.avg_processing_ms(), Some(50));
        assert!(echo.source.starts_with("id: echo-v1\n"));
    }
}
