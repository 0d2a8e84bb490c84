//! A proxy on 127.0.0.1 in front of the moto server that records every request and, when a
//! test's rule says so, misbehaves the way AWS can: answers 429 TooManyRequestsException
//! without forwarding, forwards and then loses the answer (a 500, or a dropped connection), or
//! rewrites moto's answer (to show a job in a state moto's Docker-less Batch never holds).

use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::net::TcpListener;

use super::http::{Message, exchange};

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `SubmitJob`, `DescribeJobs`, `GetLogEvents`, ...
    pub operation: String,
    pub body: Value,
}

pub type Rewrite = Box<dyn Fn(&mut Value) + Send + Sync>;

pub enum Action {
    Forward,
    /// Answer with an AWS error, without forwarding.
    Refuse {
        status: u16,
        error_type: &'static str,
    },
    /// Forward (so moto acts), then answer the client with a 500 ServerException.
    ForwardThenFail,
    /// Forward (so moto acts), then close the connection without an answer.
    ForwardThenDrop,
    /// Forward, and change moto's JSON answer before passing it on.
    Rewrite(Rewrite),
}

pub type Rule = Box<dyn Fn(&Seen, usize) -> Action + Send + Sync>;

pub struct Proxy {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn operation(request: &Message) -> String {
    fredbatch_batch::clients::operation_of(request.path(), request.header("x-amz-target"))
}

impl Proxy {
    /// Forwards everything, recording it.
    pub async fn start(upstream: &str) -> Proxy {
        Proxy::with_rule(upstream, Box::new(|_, _| Action::Forward)).await
    }

    /// `rule` gets each request and how many requests of that operation came before it.
    pub async fn with_rule(upstream: &str, rule: Rule) -> Proxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let rule = Arc::new(rule);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let (upstream, rule, log) = (upstream.clone(), rule.clone(), log.clone());
                tokio::spawn(async move {
                    // One request per connection: every answer closes it.
                    let Ok(Some(request)) = Message::read_from(&mut client).await else {
                        return;
                    };
                    {
                        let entry = Seen {
                            operation: operation(&request),
                            body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
                        };
                        let before = {
                            let mut log = log.lock().unwrap();
                            let before = log
                                .iter()
                                .filter(|s| s.operation == entry.operation)
                                .count();
                            log.push(entry.clone());
                            before
                        };
                        let answer = match rule(&entry, before) {
                            Action::Forward => exchange(&upstream, request).await.ok(),
                            Action::Refuse { status, error_type } => {
                                Some(error(status, error_type, "Too Many Requests"))
                            }
                            Action::ForwardThenFail => {
                                let _ = exchange(&upstream, request).await;
                                Some(error(500, "ServerException", "Internal server error"))
                            }
                            Action::ForwardThenDrop => {
                                let _ = exchange(&upstream, request).await;
                                None
                            }
                            Action::Rewrite(rewrite) => {
                                exchange(&upstream, request).await.ok().map(|mut answer| {
                                    if let Ok(mut json) =
                                        serde_json::from_slice::<Value>(&answer.body)
                                    {
                                        rewrite(&mut json);
                                        answer.set_body(serde_json::to_vec(&json).unwrap());
                                    }
                                    answer
                                })
                            }
                        };
                        let Some(mut answer) = answer else {
                            return; // drop the connection without answering
                        };
                        answer.set_header("Connection", "close");
                        let _ = answer.write_to(&mut client).await;
                    }
                });
            }
        });
        Proxy { url, seen, task }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self, operation: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.operation == operation)
            .count()
    }

    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

fn error(status: u16, error_type: &str, message: &str) -> Message {
    let mut answer = Message {
        start: format!("HTTP/1.1 {status} Error"),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), error_type.into()),
        ],
        body: Vec::new(),
    };
    answer.set_body(
        serde_json::to_vec(&serde_json::json!({ "__type": error_type, "message": message }))
            .unwrap(),
    );
    answer
}
