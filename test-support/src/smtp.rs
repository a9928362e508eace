//! A fast SMTP sink on 127.0.0.1 for tests and benchmarks: it speaks enough of
//! RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA, NOOP, RSET, QUIT), keeps nothing
//! but who each mail was for and its `Message-ID`, and answers at once. Unlike the
//! mail catcher (which parses and stores every mail on disk), it is not the slow
//! part of a benchmark. A test can make it slow (each mail answered after a
//! delay), refuse mails, never answer them, or hold every mail until several are in its hands at
//! once, to see that a sender sends them side by side.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One mail the sink took.
#[derive(Debug, Clone)]
pub struct Taken {
    pub to: String,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// Since the sink started.
    pub at: Duration,
}

#[derive(Default)]
struct Inner {
    taken: Vec<Taken>,
    /// Mails in the sink's hands (after DATA's end, before its answer).
    holding: usize,
    most_held: usize,
    connections: usize,
    /// Addresses answered "550 no such mailbox" (a bounce).
    bounced: std::collections::HashSet<String>,
}

/// How the sink answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// Wait this long before answering each mail's end of data.
    pub delay: Duration,
    /// Hold each mail until this many are held at once (then answer them all).
    pub hold_until: usize,
    /// Answer each mail with `451` (a passing failure) instead of `250`.
    pub refuse: bool,
    /// Take each mail and never answer it (a relay that stalls mid-exchange).
    pub silent: bool,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    behaviour: Arc<Mutex<Behaviour>>,
    released: Arc<Notify>,
    /// Bumped by `hang_up`: every session open then closes at its next read.
    hangup: Arc<tokio::sync::watch::Sender<u64>>,
    /// When the sink started: each [`Taken::at`] counts from here.
    pub started: Instant,
}

impl SmtpSink {
    pub async fn start() -> std::io::Result<SmtpSink> {
        Self::start_on("127.0.0.1:0", Behaviour::default()).await
    }

    pub async fn start_on(addr: &str, behaviour: Behaviour) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind(addr).await?;
        let sink = SmtpSink {
            addr: listener.local_addr()?,
            inner: Arc::default(),
            behaviour: Arc::new(Mutex::new(behaviour)),
            released: Arc::new(Notify::new()),
            hangup: Arc::new(tokio::sync::watch::channel(0).0),
            started: Instant::now(),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = serving.clone();
                tokio::spawn(async move {
                    let _ = session.serve(stream).await;
                });
            }
        });
        Ok(sink)
    }

    /// `smtp://127.0.0.1:<port>`, for `PRUUF_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        if let Ok(mut b) = self.behaviour.lock() {
            *b = behaviour;
        }
        self.released.notify_waiters();
    }

    fn behaviour(&self) -> Behaviour {
        self.behaviour.lock().map(|b| *b).unwrap_or_default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = match self.inner.lock() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut inner)
    }

    /// Closes every open connection between commands, as a relay does with
    /// connections idle too long.
    pub fn hang_up(&self) {
        self.hangup.send_modify(|n| *n += 1);
    }

    /// From now on, mail to `address` is refused for good at RCPT (550).
    pub fn bounce(&self, address: &str) {
        self.with(|i| i.bounced.insert(address.to_ascii_lowercase()));
    }

    /// Every mail taken so far, in order.
    pub fn taken(&self) -> Vec<Taken> {
        self.with(|i| i.taken.clone())
    }

    pub fn count(&self) -> usize {
        self.with(|i| i.taken.len())
    }

    /// Mails taken per recipient.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        self.with(|i| {
            let mut counts = HashMap::new();
            for t in &i.taken {
                *counts.entry(t.to.clone()).or_insert(0) += 1;
            }
            counts
        })
    }

    /// The most mails the sink held at once (how many a sender had in flight).
    pub fn most_held(&self) -> usize {
        self.with(|i| i.most_held)
    }

    /// Connections opened to the sink so far.
    pub fn connections(&self) -> usize {
        self.with(|i| i.connections)
    }

    async fn serve(self, stream: TcpStream) -> std::io::Result<()> {
        stream.set_nodelay(true)?;
        self.with(|i| i.connections += 1);
        let mut hangups = self.hangup.subscribe();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink ESMTP ready\r\n").await?;
        let mut to = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            let read = tokio::select! {
                read = lines.read_line(&mut line) => read?,
                _ = hangups.changed() => return Ok(()),
            };
            if read == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if command.starts_with("HELO") {
                b"250 sink\r\n"
            } else if command.starts_with("MAIL FROM") {
                to.clear();
                b"250 OK\r\n"
            } else if command.starts_with("RCPT TO") {
                let address = line
                    .trim_end()
                    .split_once(':')
                    .map(|(_, a)| a.trim().trim_start_matches('<').trim_end_matches('>'))
                    .unwrap_or_default()
                    .to_string();
                if self.with(|i| i.bounced.contains(&address.to_ascii_lowercase())) {
                    b"550 5.1.1 mailbox unavailable\r\n"
                } else {
                    to = address;
                    b"250 OK\r\n"
                }
            } else if command == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let (message_id, subject) = read_data(&mut lines).await?;
                let reply = self.take(&to, message_id, subject).await;
                write.write_all(reply).await?;
                continue;
            } else if command == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                // NOOP, RSET and anything else.
                b"250 OK\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    /// One mail's end of data: held, delayed or refused as the behaviour says.
    async fn take(
        &self,
        to: &str,
        message_id: Option<String>,
        subject: Option<String>,
    ) -> &'static [u8] {
        let behaviour = self.behaviour();
        if behaviour.silent {
            return std::future::pending().await;
        }
        if behaviour.hold_until > 1 {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            let held = self.with(|i| {
                i.holding += 1;
                i.most_held = i.most_held.max(i.holding);
                i.holding
            });
            if held >= behaviour.hold_until {
                self.released.notify_waiters();
            } else {
                released.await;
            }
            self.with(|i| i.holding -= 1);
        } else {
            self.with(|i| {
                i.holding += 1;
                i.most_held = i.most_held.max(i.holding);
            });
            if !behaviour.delay.is_zero() {
                tokio::time::sleep(behaviour.delay).await;
            }
            self.with(|i| i.holding -= 1);
        }
        if behaviour.refuse {
            return b"451 try again later\r\n";
        }
        let at = self.started.elapsed();
        self.with(|i| {
            i.taken.push(Taken {
                to: to.to_string(),
                message_id,
                subject,
                at,
            })
        });
        b"250 OK taken\r\n"
    }
}

/// Reads a mail's data up to the lone `.`; returns its Message-ID and Subject.
async fn read_data(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<(Option<String>, Option<String>)> {
    let (mut message_id, mut subject) = (None, None);
    let mut in_headers = true;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if text == "." {
            return Ok((message_id, subject));
        }
        if in_headers {
            if text.is_empty() {
                in_headers = false;
            } else if let Some((name, value)) = text.split_once(':') {
                if name.eq_ignore_ascii_case("message-id") {
                    message_id = Some(value.trim().to_string());
                } else if name.eq_ignore_ascii_case("subject") {
                    subject = Some(value.trim().to_string());
                }
            }
        }
    }
}
