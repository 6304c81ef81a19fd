//! The reference trainer: a character-level bigram language model (a table of
//! next-byte logits over the bytes the data uses), trained for real on CPU.
//!
//! Fine-tuning minimises the cross-entropy of each next byte with plain SGD,
//! one step per batch of rows; its loss starts at `ln |V|` and falls over the
//! epochs. RL samples completions of each prompt from the policy, scores them
//! with the job's reward (`exact_match` against the row's `answer`, or
//! `regex`), and takes a policy-gradient step on the advantage over the group
//! mean (GRPO without clipping). Everything is seeded: the same job on the same
//! data gives the same model. The model is a few hundred kilobytes of JSON kept
//! in the database; deployments serve it in process ([`Model::generate`]).

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The base model the reference trainer starts from (an untrained table).
pub const BASE_MODEL: &str = "bitstride-char-tiny";

/// Base learning rate of fine-tuning (scaled by `learning_rate_multiplier`).
pub const BASE_LEARNING_RATE: f64 = 2.0;

/// Where a reference model's weights are, as its `artifact_uri` says.
pub fn artifact_uri(model_id: &str) -> String {
    format!("bitstride://models/{model_id}")
}

/// A bigram model: `logits[i][j]` scores byte `vocab[j]` after byte `vocab[i]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// The bytes it knows, sorted; index 0 is `\n` (start and end of a row).
    pub vocab: Vec<u8>,
    /// Row-major `|V| × |V|` logits.
    pub logits: Vec<f64>,
}

impl Model {
    /// An untrained model over the bytes of `texts` (uniform predictions).
    pub fn untrained(texts: &[Vec<u8>]) -> Self {
        let mut set: BTreeSet<u8> = texts.iter().flatten().copied().collect();
        set.remove(&b'\n');
        let mut vocab = vec![b'\n'];
        vocab.extend(set);
        let n = vocab.len();
        Self {
            vocab,
            logits: vec![0.0; n * n],
        }
    }

    /// This model extended with the bytes of `texts` it does not know yet.
    pub fn extended(mut self, texts: &[Vec<u8>]) -> Self {
        let new: BTreeSet<u8> = texts
            .iter()
            .flatten()
            .copied()
            .filter(|b| !self.vocab.contains(b))
            .collect();
        if new.is_empty() {
            return self;
        }
        let old_n = self.vocab.len();
        let mut vocab = self.vocab.clone();
        vocab.extend(new);
        let n = vocab.len();
        let mut logits = vec![0.0; n * n];
        for i in 0..old_n {
            logits[i * n..i * n + old_n].copy_from_slice(&self.logits[i * old_n..(i + 1) * old_n]);
        }
        self.vocab = vocab;
        self.logits = logits;
        self
    }

    fn n(&self) -> usize {
        self.vocab.len()
    }

    fn index(&self, b: u8) -> Option<usize> {
        self.vocab.iter().position(|v| *v == b)
    }

    /// Indices of `text` framed by `\n`, unknown bytes dropped.
    fn encode(&self, text: &[u8]) -> Vec<usize> {
        let mut out = vec![0];
        out.extend(text.iter().filter_map(|b| self.index(*b)));
        out.push(0);
        out
    }

    fn probs(&self, from: usize, temperature: f64) -> Vec<f64> {
        let n = self.n();
        let row = &self.logits[from * n..(from + 1) * n];
        let t = temperature.max(1e-3);
        let max = row.iter().cloned().fold(f64::MIN, f64::max);
        let exp: Vec<f64> = row.iter().map(|l| ((l - max) / t).exp()).collect();
        let sum: f64 = exp.iter().sum();
        exp.into_iter().map(|e| e / sum).collect()
    }

    /// One SGD step on `rows`; returns the mean loss (nats per byte) before the step.
    pub fn sgd_step(&mut self, rows: &[Vec<usize>], lr: f64) -> f64 {
        let n = self.n();
        let mut grad = vec![0.0; n * n];
        let (mut loss, mut count) = (0.0, 0usize);
        for row in rows {
            for pair in row.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let p = self.probs(a, 1.0);
                loss -= p[b].max(1e-12).ln();
                count += 1;
                for (j, pj) in p.iter().enumerate() {
                    grad[a * n + j] += pj - if j == b { 1.0 } else { 0.0 };
                }
            }
        }
        if count > 0 {
            let scale = lr / count as f64;
            for (w, g) in self.logits.iter_mut().zip(&grad) {
                *w -= scale * g;
            }
        }
        loss / count.max(1) as f64
    }

    /// Samples up to `max` bytes after `prompt` (greedy when `temperature` is 0),
    /// stopping at the end-of-row byte.
    pub fn sample(
        &self,
        prompt: &[u8],
        max: usize,
        temperature: f64,
        rng: &mut StdRng,
    ) -> Vec<usize> {
        let mut at = prompt
            .iter()
            .rev()
            .find_map(|b| self.index(*b))
            .unwrap_or(0);
        let mut out = Vec::new();
        for _ in 0..max {
            let p = self.probs(at, temperature.max(1e-3));
            let next = if temperature <= 0.0 {
                p.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or(0, |(i, _)| i)
            } else {
                let mut x: f64 = rng.random();
                let mut pick = p.len() - 1;
                for (i, pi) in p.iter().enumerate() {
                    if x < *pi {
                        pick = i;
                        break;
                    }
                    x -= pi;
                }
                pick
            };
            if next == 0 {
                break;
            }
            out.push(next);
            at = next;
        }
        out
    }

    /// Text for indices.
    pub fn decode(&self, ids: &[usize]) -> String {
        String::from_utf8_lossy(&ids.iter().map(|i| self.vocab[*i]).collect::<Vec<_>>())
            .into_owned()
    }

    /// A completion of `prompt` for chat inference; returns `(text, finished)`,
    /// `finished` false when it stopped at `max_tokens`.
    pub fn generate(
        &self,
        prompt: &str,
        max_tokens: usize,
        temperature: f64,
        seed: u64,
    ) -> (String, bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let ids = self.sample(prompt.as_bytes(), max_tokens, temperature, &mut rng);
        (self.decode(&ids), ids.len() < max_tokens)
    }

    /// Policy-gradient step: raises the log-probability of each sampled sequence in
    /// proportion to its advantage.
    pub fn policy_step(&mut self, samples: &[(usize, Vec<usize>, f64)], lr: f64) {
        let n = self.n();
        let mut grad = vec![0.0; n * n];
        for (start, seq, advantage) in samples {
            let mut at = *start;
            for &next in seq {
                let p = self.probs(at, 1.0);
                for (j, pj) in p.iter().enumerate() {
                    grad[at * n + j] += advantage * ((if j == next { 1.0 } else { 0.0 }) - pj);
                }
                at = next;
            }
        }
        let scale = lr / samples.len().max(1) as f64;
        for (w, g) in self.logits.iter_mut().zip(&grad) {
            *w += scale * g;
        }
    }
}

/// One step's outcome, reported as a metrics event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// From 1.
    pub step: i64,
    /// From 1.
    pub epoch: i64,
    /// Mean loss (fine-tuning) or mean reward (RL).
    pub value: f64,
}

/// Fine-tunes `model` on `texts`: `epochs` passes, batches of `batch` rows,
/// shuffled with `seed`. `on_step` sees every step and may stop training by
/// answering false. Returns the tokens of the training data it went through
/// (each row's text, counted as the gateway counts tokens, once per pass).
pub fn fine_tune(
    model: &mut Model,
    texts: &[Vec<u8>],
    epochs: i64,
    batch: usize,
    lr: f64,
    seed: u64,
    mut on_step: impl FnMut(Step) -> bool,
) -> i64 {
    let rows: Vec<Vec<usize>> = texts.iter().map(|t| model.encode(t)).collect();
    let row_tokens: Vec<i64> = texts.iter().map(|t| text_tokens(t)).collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut step, mut tokens) = (0, 0i64);
    for epoch in 1..=epochs {
        order.shuffle(&mut rng);
        for chunk in order.chunks(batch.max(1)) {
            let batch_rows: Vec<Vec<usize>> = chunk.iter().map(|i| rows[*i].clone()).collect();
            tokens += chunk.iter().map(|i| row_tokens[*i]).sum::<i64>();
            let loss = model.sgd_step(&batch_rows, lr);
            step += 1;
            if !on_step(Step {
                step,
                epoch,
                value: loss,
            }) {
                return tokens;
            }
        }
    }
    tokens
}

/// How an RL completion is scored.
pub enum Reward {
    /// 1 when the completion equals the row's answer.
    ExactMatch {
        /// Compare ignoring case.
        case_sensitive: bool,
    },
    /// 1 when the completion matches the pattern.
    Regex(regex::Regex),
}

impl Reward {
    fn score(&self, completion: &str, answer: Option<&str>) -> f64 {
        match self {
            Reward::ExactMatch { case_sensitive } => {
                let answer = answer.unwrap_or_default().trim();
                let hit = if *case_sensitive {
                    completion.trim() == answer
                } else {
                    completion.trim().eq_ignore_ascii_case(answer)
                };
                f64::from(u8::from(hit))
            }
            Reward::Regex(re) => f64::from(u8::from(re.is_match(completion))),
        }
    }
}

/// One RL prompt: its text and optional reference answer.
pub struct Prompt {
    /// The prompt.
    pub prompt: Vec<u8>,
    /// The answer an `exact_match` reward compares with.
    pub answer: Option<String>,
}

/// Tokens of one row of training data, counted as the gateway counts them.
pub fn text_tokens(text: &[u8]) -> i64 {
    crate::bitstride::gateway::tokens::count(&String::from_utf8_lossy(text))
}

/// Trains `model` as a policy on `prompts`; returns the tokens of the training
/// data it went through (each row's prompt and answer, once per pass).
#[allow(clippy::too_many_arguments)]
pub fn reinforce(
    model: &mut Model,
    prompts: &[Prompt],
    reward: &Reward,
    epochs: i64,
    batch: usize,
    group: usize,
    lr: f64,
    seed: u64,
    mut on_step: impl FnMut(Step) -> bool,
) -> i64 {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..prompts.len()).collect();
    let (mut step, mut tokens) = (0, 0i64);
    for epoch in 1..=epochs {
        order.shuffle(&mut rng);
        for chunk in order.chunks(batch.max(1)) {
            let mut samples = Vec::new();
            let mut total = 0.0;
            for i in chunk {
                let p = &prompts[*i];
                let start = p
                    .prompt
                    .iter()
                    .rev()
                    .find_map(|b| model.index(*b))
                    .unwrap_or(0);
                let max = p.answer.as_ref().map_or(16, |a| a.len().max(1));
                let group_samples: Vec<(Vec<usize>, f64)> = (0..group.max(1))
                    .map(|_| {
                        let seq = model.sample(&p.prompt, max, 1.0, &mut rng);
                        let r = reward.score(&model.decode(&seq), p.answer.as_deref());
                        (seq, r)
                    })
                    .collect();
                tokens += text_tokens(&p.prompt)
                    + p.answer.as_deref().map_or(0, |a| text_tokens(a.as_bytes()));
                let mean =
                    group_samples.iter().map(|s| s.1).sum::<f64>() / group_samples.len() as f64;
                total += mean;
                for (seq, r) in group_samples {
                    samples.push((start, seq, r - mean));
                }
            }
            model.policy_step(&samples, lr);
            step += 1;
            if !on_step(Step {
                step,
                epoch,
                value: total / chunk.len() as f64,
            }) {
                return tokens;
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> Vec<Vec<u8>> {
        (0..40)
            .map(|i| format!("the cat sat on the mat {}", i % 3).into_bytes())
            .collect()
    }

    #[test]
    fn fine_tuning_lowers_the_loss_and_is_deterministic() {
        let run = || {
            let mut m = Model::untrained(&texts());
            let mut losses = Vec::new();
            fine_tune(&mut m, &texts(), 4, 8, BASE_LEARNING_RATE, 7, |s| {
                losses.push(s.value);
                true
            });
            (m, losses)
        };
        let (a, losses) = run();
        let (b, _) = run();
        assert!(losses.last().unwrap() < &(losses[0] * 0.7), "{losses:?}");
        assert_eq!(a.logits, b.logits, "same seed, same model");
        let (text, _) = a.generate("the c", 20, 0.0, 1);
        assert!(text.starts_with("at"), "{text:?}");
    }

    #[test]
    fn policy_gradient_raises_the_reward() {
        let prompts: Vec<Prompt> = (0..8)
            .map(|_| Prompt {
                prompt: b"2+2=".to_vec(),
                answer: Some("4".into()),
            })
            .collect();
        let mut m = Model::untrained(&[b"2+2=4 5 6 7 8 9".to_vec()]);
        let mut rewards = Vec::new();
        reinforce(
            &mut m,
            &prompts,
            &Reward::ExactMatch {
                case_sensitive: false,
            },
            30,
            8,
            8,
            1.0,
            3,
            |s| {
                rewards.push(s.value);
                true
            },
        );
        let early: f64 = rewards[..5].iter().sum::<f64>() / 5.0;
        let late: f64 = rewards[rewards.len() - 5..].iter().sum::<f64>() / 5.0;
        assert!(late > early + 0.3, "{early} → {late}");
    }
}
