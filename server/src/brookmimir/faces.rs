//! The face-search proxy: the image is checked here, the credit taken, and the
//! search forwarded to the configured service.

use base64::Engine as _;
use quartet_api::brookmimir::*;

use super::auth::Account;
use super::Brookmimir;

impl Brookmimir {
    /// `POST /face/search`.
    pub(super) async fn search_faces(
        &self,
        account: Account,
        request: FaceSearchRequest,
    ) -> Result<FaceSearchResponse, StatusMessage> {
        if request.image_base64.is_empty() {
            return Err(StatusMessage::bad_request(messages::IMAGE_EMPTY));
        }
        let decoded_len = base64::engine::general_purpose::STANDARD
            .decode(request.image_base64.as_bytes())
            .map_err(|_| StatusMessage::bad_request(messages::IMAGE_NOT_BASE64))?
            .len();
        if decoded_len as i64 > FACE_MAX_IMAGE_BYTES {
            return Err(StatusMessage::bad_request(messages::IMAGE_TOO_LARGE));
        }
        let top_k = request.top_k.unwrap_or(FACE_DEFAULT_TOP_K);
        if !(1..=FACE_MAX_TOP_K).contains(&top_k) {
            return Err(StatusMessage::bad_request(messages::TOP_K_OUT_OF_RANGE));
        }
        let Some(url) = self.config.face_search_url.as_deref() else {
            return Err(StatusMessage::bad_gateway(messages::FACE_NOT_CONFIGURED));
        };
        self.charge(&account).await?;
        let answer = super::upstream::face_search(
            &self.http,
            url,
            self.config.face_search_timeout(),
            &request.image_base64,
            top_k,
        )
        .await;
        if let Err(e) = &answer {
            slog::warn!(self.log, "face search failed"; "message" => &e.message);
        }
        answer
    }
}
