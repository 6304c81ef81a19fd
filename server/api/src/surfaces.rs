//! The registry of surfaces that tooling iterates over.

use dropshot::{ApiDescription, ApiDescriptionBuildErrors, StubContext};

/// One API surface: its name, its hand-written document and its server-side trait.
#[derive(Clone, Copy)]
pub struct Surface {
    /// Short lowercase name used on the command line and in reports.
    pub name: &'static str,
    /// Path of the hand-maintained OpenAPI document, relative to the workspace root.
    pub document: &'static str,
    /// Port `quartet serve` binds this surface to unless told otherwise.
    pub default_port: u16,
    /// Builds the dropshot description of the trait without an implementation.
    pub stub: fn() -> Result<ApiDescription<StubContext>, ApiDescriptionBuildErrors>,
}

/// Every surface quartet serves, in a stable order.
pub const SURFACES: [Surface; 4] = [
    Surface {
        name: "bitmind",
        document: "openapi/bitmind.yaml",
        default_port: 3772,
        stub: crate::bitmind::bitmind_api_mod::stub_api_description,
    },
    Surface {
        name: "brookmimir",
        document: "openapi/brookmimir.yaml",
        default_port: 3771,
        stub: crate::brookmimir::brookmimir_api_mod::stub_api_description,
    },
    Surface {
        name: "bitstride",
        document: "openapi/bitstride.yaml",
        default_port: 3774,
        stub: crate::bitstride::bitstride_api_mod::stub_api_description,
    },
    Surface {
        name: "bindu",
        document: "openapi/bindu.yaml",
        default_port: 3773,
        stub: crate::bindu::bindu_api_mod::stub_api_description,
    },
];
