//! The permissions (OAuth scopes) a BitMind client or key may hold.

use quartet_api::bitmind::Permission;

/// Every permission, in canonical order, with its scope name.
pub const PERMISSIONS: [(Permission, &str); 3] = [
    (Permission::ImageInference, "image_inference"),
    (Permission::VideoInference, "video_inference"),
    (Permission::BatchProcessing, "batch_processing"),
];

/// The permissions among `scopes`, in canonical order (unknown scopes are dropped).
pub fn permissions<S: AsRef<str>>(scopes: &[S]) -> Vec<Permission> {
    PERMISSIONS
        .iter()
        .filter(|(_, name)| scopes.iter().any(|s| s.as_ref() == *name))
        .map(|(p, _)| *p)
        .collect()
}

/// Parses a comma- or space-separated permission list, rejecting unknown names.
pub fn parse_permissions(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for name in list.split([',', ' ']).filter(|s| !s.is_empty()) {
        if !PERMISSIONS.iter().any(|(_, n)| *n == name) {
            return Err(format!(
                "unknown permission {name:?} (known: {})",
                PERMISSIONS.map(|(_, n)| n).join(", ")
            ));
        }
        if !out.iter().any(|s| s == name) {
            out.push(name.to_owned());
        }
    }
    out.sort_by_key(|n| PERMISSIONS.iter().position(|(_, p)| p == n));
    Ok(out)
}
