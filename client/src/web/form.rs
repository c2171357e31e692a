//! Form bodies as ordered pairs: HTML forms repeat a name for checkboxes and
//! multi-selects, which a struct-shaped extractor cannot hold.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use super::WebError;
use super::security::TOKEN_FIELD;

/// The fields of an `application/x-www-form-urlencoded` body, in order, without the
/// session token.
pub(crate) struct FormPairs(pub(crate) Vec<(String, String)>);

impl FormPairs {
    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of `name`, or a 400 saying it is missing.
    pub(crate) fn require(&self, name: &str) -> Result<&str, WebError> {
        self.get(name)
            .ok_or_else(|| WebError::BadRequest(format!("the form has no '{name}' field")))
    }
}

impl<S: Send + Sync> FromRequest<S> for FormPairs {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        Ok(FormPairs(
            form_urlencoded::parse(&bytes)
                .filter(|(k, _)| k != TOKEN_FIELD)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// Parses a query string into pairs (for GET forms with repeated names).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds a query string from pairs, leaving out empty values.
pub(crate) fn to_query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}
