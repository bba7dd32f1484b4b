//! Paging of list calls: page sizes and how far one page may scan.

use super::validate::Invalid;

/// Most subjects one ListSubjects page holds.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Page size when the caller gives none.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Most records one page request reads while filtering, so a rare filter cannot scan the
/// whole registry in one call; the page then comes back short, with a token to go on.
pub const MAX_SCAN: usize = 20_000;

/// Page size from the request: 0 means the default; negative is an error.
pub fn page_size(requested: i32) -> Result<usize, Invalid> {
    match usize::try_from(requested) {
        Err(_) => Err(Invalid::new("page_size", "must not be negative")),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(n) => Ok(n.min(MAX_PAGE_SIZE)),
    }
}
