//! The agent card, built from the manifest, the identity and the configuration.

use quartet_api::bindu::*;

use super::config::AuthMode;
use super::failure::Failure;
use super::Bindu;

/// `server_info` of the card's `extraData`.
pub const SERVER_INFO: &str = "quartet Bindu server";

impl Bindu {
    /// The agent's DID.
    pub(super) fn did(&self) -> Result<String, Failure> {
        Ok(self
            .identity()?
            .did(&self.manifest.author, &self.manifest.name))
    }

    /// The card; `url` is the agent's public base URL.
    pub(super) fn card(&self, url: &str) -> Result<AgentCard, Failure> {
        let m = &self.manifest;
        let identity = self.identity()?;
        let url = url.to_owned();
        let did = self.did()?;
        let (security_schemes, security) = match self.config.bindu_auth {
            AuthMode::Off => (None, None),
            _ => (
                Some(
                    [(
                        "bearerAuth".to_owned(),
                        serde_json::json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
                    )]
                    .into_iter()
                    .collect(),
                ),
                Some(vec![[("bearerAuth".to_owned(), Vec::new())].into_iter().collect()]),
            ),
        };
        Ok(AgentCard {
            id: identity.agent_id.clone(),
            name: m.name.clone(),
            description: m.description.clone(),
            url: url.clone(),
            version: m.version.clone(),
            protocol_version: "0.3.0".into(),
            preferred_transport: "JSONRPC".into(),
            skills: m
                .skills
                .iter()
                .map(|s| AgentSkill {
                    id: s.detail.id.clone(),
                    name: s.detail.name.clone(),
                    description: s.detail.description.clone(),
                    tags: s.detail.tags.clone(),
                    documentation_path: format!("{url}/agent/skills/{}", s.detail.id),
                })
                .collect(),
            capabilities: AgentCapabilities {
                extensions: vec![AgentExtension {
                    uri: did,
                    description: format!("Decentralized identity of {}", m.name),
                    required: false,
                    params: DidExtensionParams {
                        author: m.author.clone(),
                        agent_name: m.name.clone(),
                        agent_id: identity.agent_id.clone(),
                    },
                }],
                push_notifications: !self.config.bindu_no_push,
                streaming: !self.config.bindu_no_streaming,
            },
            kind: AgentKind::Agent,
            num_history_sessions: 10,
            extra_data: AgentExtraData {
                created: identity.created_at,
                server_info: SERVER_INFO.into(),
            },
            debug_mode: false,
            debug_level: 1,
            monitoring: true,
            telemetry: false,
            agent_trust: AgentTrust {
                identity_provider: IdentityProvider::Custom,
                inherited_roles: Vec::new(),
                creator_id: "system".into(),
                creation_timestamp: identity.created_at,
                trust_verification_required: false,
                allowed_operations: Default::default(),
            },
            default_input_modes: vec!["text/plain".into(), "application/json".into()],
            default_output_modes: self.manifest.output_modes(),
            supports_authenticated_extended_card: security.is_some().then_some(true),
            security_schemes,
            security,
        })
    }
}
