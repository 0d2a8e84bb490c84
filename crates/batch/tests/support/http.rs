//! Just enough HTTP/1.1 for the test proxy: one request or response with a Content-Length
//! body (what the AWS SDK sends and moto answers), read from and written to a socket.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A request or a response: the first line, the headers, the body.
#[derive(Clone, Debug)]
pub struct Message {
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Message {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// The request's path (second word of the request line).
    pub fn path(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or("")
    }

    pub fn set_body(&mut self, body: Vec<u8>) {
        self.set_header("Content-Length", &body.len().to_string());
        self.body = body;
    }

    pub async fn write_to(&self, out: &mut (impl AsyncWrite + Unpin)) -> io::Result<()> {
        let mut head = format!("{}\r\n", self.start);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes()).await?;
        out.write_all(&self.body).await?;
        out.flush().await
    }

    /// Reads one message. Without a Content-Length, the body runs to the end of the stream.
    /// `None` when the stream ends before a message starts.
    pub async fn read_from(input: &mut (impl AsyncRead + Unpin)) -> io::Result<Option<Message>> {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(at) = find(&buffer, b"\r\n\r\n") {
                break at;
            }
            let n = input.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or("").to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut message = Message {
            start,
            headers,
            body: buffer[head_end + 4..].to_vec(),
        };
        match message
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
        {
            Some(length) => {
                while message.body.len() < length {
                    let n = input.read(&mut chunk).await?;
                    if n == 0 {
                        break;
                    }
                    message.body.extend_from_slice(&chunk[..n]);
                }
                message.body.truncate(length);
            }
            None if message.start.starts_with("HTTP/") => {
                input.read_to_end(&mut message.body).await?;
            }
            None => {}
        }
        Ok(Some(message))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `request` to `addr` on a fresh connection and reads the whole answer.
pub async fn exchange(addr: &str, mut request: Message) -> io::Result<Message> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    request.set_header("Connection", "close");
    request.write_to(&mut stream).await?;
    Message::read_from(&mut stream)
        .await?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))
}
