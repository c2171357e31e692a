//! Exports streamed over HTTP: a table's "Export CSV" (`GET /o/{object}/export.csv`) and
//! `GET /api/objects/{object}/export`. Both run the application layer's export
//! ([`crate::app::export`]) one page per workspace job and send each page as it is made,
//! so memory stays bounded at any size and other requests are answered between pages.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::{AppState, WebError, WorkspaceHandle};
use crate::ExportFormat;
use crate::app::export::{Export, ExportRequest};

/// Answers with the export `request` asks for; `download` names the file the browser
/// saves it as. A bad object, filter, sort or column is an error answer; a failure once
/// the answer has started ends it early.
pub(crate) async fn stream_export(
    state: &Arc<AppState>,
    request: ExportRequest,
    download: Option<String>,
) -> Result<Response, WebError> {
    let format = request.format;
    let (export, head) = state
        .ws
        .call(move |ws| -> Result<(Export, Vec<u8>), WebError> {
            let export = Export::start(ws, &request)?;
            let mut head = Vec::new();
            export
                .header(&mut head)
                .map_err(|e| WebError::from(crate::app::AppError::from(e)))?;
            Ok((export, head))
        })
        .await??;
    let ws = state.ws.clone();
    let pages = stream::unfold(Some(export), move |export| next_chunk(ws.clone(), export));
    let body = Body::from_stream(futures_util::StreamExt::chain(
        stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(head)) }),
        pages,
    ));
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Json => "application/json",
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(name) = download {
        let disposition = format!(
            "attachment; filename=\"{}.{}\"",
            name.replace(['"', '\\', '\r', '\n'], ""),
            format.name()
        );
        if let Ok(value) = header::HeaderValue::from_str(&disposition) {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// The next page of an export (or its end), made on the workspace thread.
async fn next_chunk(
    ws: WorkspaceHandle,
    export: Option<Export>,
) -> Option<(Result<Bytes, std::io::Error>, Option<Export>)> {
    let mut export = export?;
    let made = ws
        .call(move |w| {
            let mut chunk = Vec::new();
            if export.is_done() {
                export
                    .finish(&mut chunk)
                    .map(|_| (chunk, None))
                    .map_err(|e| e.to_string())
            } else {
                match export.next_page(w, &mut chunk) {
                    Ok(()) => Ok((chunk, Some(export))),
                    Err(e) => Err(e.to_string()),
                }
            }
        })
        .await;
    Some(match made {
        Ok(Ok((chunk, rest))) => (Ok(Bytes::from(chunk)), rest),
        Ok(Err(why)) => (Err(std::io::Error::other(why)), None),
        Err(gone) => (Err(std::io::Error::other(gone.to_string())), None),
    })
}
