//! Outbound HTTP of the Brookmimir surface: the face-search proxy and the
//! `/nettest` probe. Both go only where the operator points them.

use std::time::{Duration, Instant};

use quartet_api::brookmimir::{
    messages, nettest_errors, FaceSearchResponse, NettestResponse, StatusMessage,
};
use serde_json::json;

/// An HTTP client for outbound calls: no proxy from the environment, no redirects
/// followed beyond a few, rustls for `https`.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("an HTTP client with static settings always builds")
}

/// Forwards a face search; every failure is a documented 502.
pub async fn face_search(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    image_base64: &str,
    top_k: i64,
) -> Result<FaceSearchResponse, StatusMessage> {
    let sent = client
        .post(url)
        .timeout(timeout)
        .json(&json!({ "image_base64": image_base64, "top_k": top_k }))
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Err(StatusMessage::bad_gateway(messages::FACE_TIMED_OUT))
        }
        Err(_) => return Err(StatusMessage::bad_gateway(messages::FACE_UNREACHABLE)),
    };
    let status = response.status();
    if !status.is_success() {
        return Err(StatusMessage::face_bad_status(status.as_u16()));
    }
    match response.bytes().await {
        Ok(body) => serde_json::from_slice(&body)
            .map_err(|_| StatusMessage::bad_gateway(messages::FACE_INVALID_ANSWER)),
        Err(e) if e.is_timeout() => Err(StatusMessage::bad_gateway(messages::FACE_TIMED_OUT)),
        Err(_) => Err(StatusMessage::bad_gateway(messages::FACE_UNREACHABLE)),
    }
}

/// Probes `target` once; never fails, the outcome is in the answer.
pub async fn nettest(client: &reqwest::Client, target: &str, timeout: Duration) -> NettestResponse {
    let started = Instant::now();
    let outcome = client.get(target).timeout(timeout).send().await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    let (ok, http_status, error) = match outcome {
        Ok(r) => (true, Some(i64::from(r.status().as_u16())), None),
        Err(e) if e.is_timeout() => (false, None, Some(nettest_errors::TIMED_OUT.to_owned())),
        Err(_) => (
            false,
            None,
            Some(nettest_errors::CONNECTION_FAILED.to_owned()),
        ),
    };
    NettestResponse {
        status: 200,
        ok,
        target: target.to_owned(),
        http_status,
        latency_ms,
        error,
    }
}
