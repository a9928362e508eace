//! Our own pool of SMTP connections (server only), for `smtp://` relays (plain,
//! or STARTTLS with `?tls=required|opportunistic`). lettre speaks the protocol
//! (`AsyncSmtpConnection`), but we open the sockets: with `TCP_NODELAY`, because
//! a mail's body and its closing dot go out in two writes, and with Nagle's
//! algorithm the dot waits for the relay's delayed ACK, about 40 ms a mail per
//! connection. Idle connections are reused without a NOOP round trip; one the
//! relay closed meanwhile is noticed on use and the mail is sent again on a
//! fresh one. (`smtps://` keeps lettre's own transport: its TLS wrapper is not
//! open to a socket of ours.)
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error as SmtpError;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// How a relay wants TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTls {
    No,
    IfOffered,
    Required,
}

/// Where and how to reach a `smtp://` relay.
#[derive(Clone)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub tls: StartTls,
    pub credentials: Option<Credentials>,
    pub hello: ClientId,
}

impl Relay {
    /// Reads a `smtp://[user:password@]host[:port][/hello-name][?tls=...]` URL;
    /// `None` for any other (lettre's transport takes those).
    pub fn from_url(raw: &str) -> Option<Relay> {
        let url = url::Url::parse(raw).ok()?;
        if url.scheme() != "smtp" {
            return None;
        }
        let tls = match url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v) {
            None => StartTls::No,
            Some(v) if v == "required" => StartTls::Required,
            Some(v) if v == "opportunistic" => StartTls::IfOffered,
            Some(_) => return None,
        };
        let default_port = if tls == StartTls::No { 25 } else { 587 };
        let credentials = url
            .password()
            .map(|p| Credentials::new(percent_decode(url.username()), percent_decode(p)));
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_string())
        };
        Some(Relay {
            host: url.host_str()?.to_string(),
            port: url.port().unwrap_or(default_port),
            tls,
            credentials,
            hello,
        })
    }
}

/// `%xx` sequences decoded (user names and passwords in the URL).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A connection resting in the pool, and since when.
struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// Relays close idle connections after a while (Postfix: 300 s); older ones are
/// closed here rather than tried.
const IDLE_FOR_AT_MOST: Duration = Duration::from_secs(60);
const CONNECT_WITHIN: Duration = Duration::from_secs(10);

pub struct SmtpPool {
    relay: Relay,
    idle: Mutex<Vec<Idle>>,
    /// At most this many connections open at once.
    slots: Semaphore,
}

impl SmtpPool {
    pub fn new(relay: Relay, max_connections: usize) -> SmtpPool {
        SmtpPool {
            relay,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(max_connections),
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let r = &self.relay;
        let stream = tokio::time::timeout(
            CONNECT_WITHIN,
            tokio::net::TcpStream::connect((r.host.as_str(), r.port)),
        )
        .await
        .map_err(|_| io_error("connecting to the relay timed out"))?
        .map_err(|e| io_error(&e.to_string()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| io_error(&e.to_string()))?;
        let mut conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &r.hello).await?;
        let upgrade = match r.tls {
            StartTls::No => false,
            StartTls::IfOffered => conn.can_starttls(),
            StartTls::Required => true,
        };
        if upgrade {
            conn.starttls(TlsParameters::new(r.host.clone())?, &r.hello)
                .await?;
        }
        if let Some(credentials) = &r.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }

    /// A resting connection young enough to trust, if any.
    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().await;
        while let Some(Idle { mut conn, since }) = idle.pop() {
            if since.elapsed() <= IDLE_FOR_AT_MOST && !conn.has_broken() {
                return Some(conn);
            }
            conn.abort().await;
        }
        None
    }

    /// Hands one mail to the relay.
    pub async fn send(&self, envelope: &Envelope, mail: &[u8]) -> Result<(), PoolError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| io_error("the mail pool is closed"))?;
        if let Some(mut conn) = self.take_idle().await {
            match conn.send(envelope, mail).await {
                Ok(_) => return self.rest(conn).await,
                // The relay's own answer (a refused address, say) stands.
                Err(e) if e.is_permanent() || e.is_transient() => {
                    self.rest_if_usable(conn).await;
                    return Err(e.into());
                }
                // The relay closed it while it rested: once more on a new one.
                Err(_) => conn.abort().await,
            }
        }
        let mut conn = self.connect().await?;
        match conn.send(envelope, mail).await {
            Ok(_) => self.rest(conn).await,
            Err(e) => {
                self.rest_if_usable(conn).await;
                Err(e.into())
            }
        }
    }

    async fn rest(&self, conn: AsyncSmtpConnection) -> Result<(), PoolError> {
        self.rest_if_usable(conn).await;
        Ok(())
    }

    async fn rest_if_usable(&self, mut conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            conn.abort().await;
        } else {
            self.idle.lock().await.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }
}

/// Why a mail did not reach the relay.
#[derive(Debug)]
pub enum PoolError {
    /// The relay answered (or the SMTP exchange failed).
    Relay(SmtpError),
    /// No connection could be made.
    Connect(String),
}

impl PoolError {
    /// The relay refused it for good (a 5xx).
    pub fn is_permanent(&self) -> bool {
        matches!(self, PoolError::Relay(e) if e.is_permanent())
    }

    /// The relay's reply code, if it answered.
    pub fn code(&self) -> Option<String> {
        match self {
            PoolError::Relay(e) => e.status().map(|c| c.to_string()),
            PoolError::Connect(_) => None,
        }
    }
}

impl From<SmtpError> for PoolError {
    fn from(e: SmtpError) -> Self {
        PoolError::Relay(e)
    }
}

fn io_error(why: &str) -> PoolError {
    PoolError::Connect(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_as_lettre_reads_them() {
        let plain = Relay::from_url("smtp://127.0.0.1:1025").expect("smtp");
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.tls),
            ("127.0.0.1", 1025, StartTls::No)
        );
        assert!(plain.credentials.is_none());
        let sub = Relay::from_url("smtp://us%40er:p%3Ass@mail.example?tls=required").expect("smtp");
        assert_eq!((sub.port, sub.tls), (587, StartTls::Required));
        assert!(sub.credentials == Some(Credentials::new("us@er".into(), "p:ss".into())));
        assert_eq!(
            Relay::from_url("smtp://mail.example?tls=opportunistic").map(|r| r.tls),
            Some(StartTls::IfOffered)
        );
        assert!(
            Relay::from_url("smtps://mail.example").is_none(),
            "lettre's"
        );
        assert!(Relay::from_url("smtp://mail.example?tls=maybe").is_none());
        assert!(Relay::from_url("http://mail.example").is_none());
    }
}
