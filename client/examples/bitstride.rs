//! Bitstride with the generated client, end to end: register, sign in, create a
//! project, upload and validate a dataset, fine-tune the reference base model
//! on it, deploy the model it produced, chat with it, then read usage and the
//! month's invoice.
//!
//! ```sh
//! cargo run -p quartet-client --example bitstride -- http://127.0.0.1:3774 you@example.com
//! ```

use std::time::Duration;

use quartet_client::bitstride::types;

/// The training file: the same support exchange, sixty times.
fn dataset() -> Vec<u8> {
    let row = r#"{"messages":[{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Open Settings, choose Security, then Reset password."}]}"#;
    (0..60)
        .map(|_| format!("{row}\n"))
        .collect::<String>()
        .into_bytes()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3774".into());
    let email = args.next().unwrap_or_else(|| "ada@example.com".into());
    let password = "correct horse battery";

    let public = quartet_client::bitstride::Client::new(&base);
    let health = public.health().send().await?;
    println!("bitstride {} ({:?} mode)", health.version, health.mode);

    public
        .register()
        .body(
            types::RegisterRequest::builder()
                .email(email.as_str())
                .password(password)
                .name("Example user".to_owned()),
        )
        .send()
        .await?;
    let login = public
        .login()
        .body(
            types::LoginRequest::builder()
                .email(email.as_str())
                .password(password),
        )
        .send()
        .await?
        .into_inner();
    let token = login
        .access_token
        .ok_or("the account has MFA: finish with mfa_verify_login")?;
    println!("signed in as {email}");
    let client = quartet_client::auth::bitstride(&base, &token)?;

    let project = client
        .create_project()
        .body(
            types::ProjectCreate::builder()
                .name("support-bot")
                .description("Customer-support assistant".to_owned()),
        )
        .send()
        .await?;
    println!("project {}", project.id);

    let ds = client
        .create_dataset()
        .body(
            types::DatasetCreate::builder()
                .name("support-chats")
                .purpose(types::DatasetPurpose::FineTuning)
                .project_id(project.id.clone()),
        )
        .send()
        .await?;
    let uploaded = client
        .upload_dataset()
        .id(&ds.id)
        .body(dataset())
        .send()
        .await?;
    println!(
        "dataset {}: {} bytes, {} rows",
        ds.id,
        uploaded.bytes.unwrap_or(0),
        uploaded.row_count.unwrap_or(0)
    );
    let report = client.validate_dataset().id(&ds.id).send().await?;
    println!(
        "validation: {:?}, {} valid rows",
        report.status, report.valid_rows
    );

    let job = client
        .create_fine_tuning_job()
        .body(
            types::FineTuningJobCreate::builder()
                .base_model("bitstride-char-tiny")
                .training_dataset_id(ds.id.clone())
                .suffix(Some("support".parse::<types::FineTuningJobCreateSuffix>()?)),
        )
        .send()
        .await?;
    let job = loop {
        let j = client
            .get_fine_tuning_job()
            .id(&job.id)
            .send()
            .await?
            .into_inner();
        match j.status {
            types::JobStatus::Succeeded => break j,
            types::JobStatus::Failed | types::JobStatus::Cancelled => {
                return Err(format!("job ended {:?}: {:?}", j.status, j.error).into())
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let events = client
        .list_fine_tuning_job_events()
        .id(&job.id)
        .limit(100)
        .send()
        .await?;
    let losses: Vec<f64> = events
        .data
        .iter()
        .rev()
        .filter_map(|e| e.data.as_ref().and_then(|d| d.train_loss))
        .collect();
    println!(
        "job {}: {} steps, loss {:.3} -> {:.3}, {} tokens",
        job.id,
        losses.len(),
        losses.first().copied().unwrap_or_default(),
        losses.last().copied().unwrap_or_default(),
        job.trained_tokens.unwrap_or(0)
    );
    let model_id = job
        .fine_tuned_model
        .ok_or("a succeeded job names its model")?;
    let model = client.get_model().id(&model_id).send().await?;
    println!(
        "model {} ({:?}, from {})",
        model.name,
        model.source,
        model.base_model.clone().unwrap_or_default()
    );

    let subdomain = format!("support-{}", &project.id[5..13]);
    let deployment = client
        .create_deployment()
        .body(
            types::DeploymentCreate::builder()
                .name("Support chat")
                .subdomain(subdomain.as_str())
                .endpoint("builtin://model")
                .backend_type(types::BackendType::Custom)
                .protocol(types::DeploymentProtocol::Openai)
                .model_id(model_id.clone()),
        )
        .send()
        .await?;
    loop {
        let d = client.get_deployment().id(&deployment.id).send().await?;
        match d.status {
            types::DeploymentStatus::Ready => break,
            types::DeploymentStatus::Pending => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            other => return Err(format!("deployment is {other:?}").into()),
        }
    }
    println!("deployment {} ready", deployment.id);

    let answer = client
        .deployment_chat()
        .deployment_id(&deployment.id)
        .body(
            types::ChatCompletionRequest::builder()
                .messages(vec![types::ChatMessage {
                    role: types::ChatRole::User,
                    content: "Open Settings, choose".into(),
                    name: None,
                }])
                .max_tokens(std::num::NonZeroU64::new(24)),
        )
        .send()
        .await?;
    println!(
        "assistant: {:?} ({} tokens)",
        answer.choices[0].message.content, answer.usage.total_tokens
    );

    let usage = client.get_usage().send().await?;
    println!(
        "usage: {} requests, {} tokens, {} micro-USD",
        usage.total_requests, usage.total_tokens, usage.total_cost_micros
    );
    let invoices = client.list_invoices().send().await?;
    let invoice = invoices
        .data
        .first()
        .ok_or("the current month has an invoice")?;
    let lines: i64 = invoice.line_items.iter().map(|l| l.amount_micros).sum();
    println!(
        "invoice {} ({:?}): {} micro-USD in {} lines (lines add up: {})",
        invoice.id,
        invoice.status,
        invoice.amount_micros,
        invoice.line_items.len(),
        lines == invoice.amount_micros
    );
    Ok(())
}
