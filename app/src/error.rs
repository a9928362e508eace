//! The errors a person can meet, each with the words we show them and the HTTP
//! status it carries. An internal error's own text never reaches the browser: it is
//! logged on the server (without personal data) and the person sees a plain apology.
use http::StatusCode;
use leptos::prelude::*;
use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that fails the shared validation; the text says what to fix.
    #[error("{0}")]
    Invalid(String),
    #[error("Please sign in to continue.")]
    SignInNeeded,
    #[error("Sorry, that isn't something you can do here.")]
    Forbidden,
    #[error("Sorry, we couldn't find that page.")]
    NotFound,
    /// An admin page, after 12 hours: a fresh emailed code first.
    #[error("Please confirm it\u{2019}s you: we\u{2019}ll email you a code.")]
    StepUpNeeded,
    /// A frozen (or closing) account may look but not change what others see.
    #[error("Your account is paused until you choose a plan, so this can\u{2019}t be changed from it. Please choose a plan on your home page.")]
    ReadOnly,
    #[error("That was a lot of tries. Please wait a few minutes and try again.")]
    TooManyTries,
    /// A limit was reached; the text says when to try again.
    #[error("{0}")]
    Limited(String),
    #[error("We couldn't send the email. Please try again in a minute.")]
    MailNotSent,
    #[error("Sorry, Pruuf is having trouble right now. Please try again in a minute.")]
    Unavailable,
    #[error("We couldn't reach Pruuf. Please check your internet connection and try again.")]
    Network,
    #[error("Sorry, something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::BAD_REQUEST,
            AppError::SignInNeeded => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::ReadOnly | AppError::StepUpNeeded => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::TooManyTries | AppError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::MailNotSent => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Network => StatusCode::BAD_GATEWAY,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Input that fails validation, with the status already on the response.
    pub fn invalid(message: &str) -> Self {
        AppError::Invalid(message.to_string()).with_status()
    }

    /// The words shown to the person.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// On the server, records this error's status on the response being built, so
    /// that a server function or page answers 4xx/5xx rather than 200.
    ///
    /// Not for a form posted without JavaScript: that answer must stay the redirect
    /// back to the form (which carries the error), or the browser would show a
    /// bare error instead of the page with the message on it.
    pub fn with_status(self) -> Self {
        #[cfg(feature = "ssr")]
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            if !is_plain_form_post() {
                response.set_status(self.status());
            }
        }
        self
    }
}

/// Whether this runs on the server while answering a request (not in the browser).
fn reading_a_request() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some()
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// A form posted by a page without JavaScript: a POST that accepts HTML.
#[cfg(feature = "ssr")]
fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that could not be read: the request itself was wrong.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => AppError::Invalid(
                "Some of what was sent didn't make sense. Please check and try again.".into(),
            )
            .with_status(),
            // On the server, a request it could not read (bad bytes, a body cut
            // off): the request was wrong, not the network.
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Deserialization(_)
                if reading_a_request() =>
            {
                AppError::Invalid(
                    "What was sent couldn\u{2019}t be read. Please go back and try again.".into(),
                )
                .with_status()
            }
            // In the browser: it could not reach the server, or read its answer.
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::Network
            }
            other => {
                tracing::error!(error = %other, "server function failed");
                AppError::Internal.with_status()
            }
        }
    }
}

/// A database failure, seen by a person as "try again in a minute" when the
/// database is out of reach, and as a plain apology otherwise. What went wrong is
/// logged by kind only: a database error's detail can quote the values involved.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!("the database is out of reach");
                AppError::Unavailable.with_status()
            }
            sqlx::Error::Database(db) => {
                tracing::error!(code = ?db.code(), constraint = ?db.constraint(), "database error");
                AppError::Internal.with_status()
            }
            _ => {
                tracing::error!(kind = ?std::mem::discriminant(&e), "database error");
                AppError::Internal.with_status()
            }
        }
    }
}

/// The friendly page for an error: what happened in plain words, and a way on.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    let error = error.with_status();
    let title = match error {
        AppError::NotFound => "We couldn't find that page",
        AppError::Unavailable => "Pruuf is having trouble",
        _ => "Sorry, something went wrong",
    };
    view! {
        <leptos_meta::Title text=title/>
        <section class="page narrow" aria-labelledby="error-title">
            <h1 id="error-title">{title}</h1>
            <p class="lead">{error.message()}</p>
            <a class="button primary" href="/">"Go to the start page"</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_client_or_server_status_and_words() {
        let all = [
            AppError::Invalid("Please enter your email.".into()),
            AppError::SignInNeeded,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::StepUpNeeded,
            AppError::TooManyTries,
            AppError::Limited("Please wait until 10:35.".into()),
            AppError::MailNotSent,
            AppError::Unavailable,
            AppError::Network,
            AppError::Internal,
        ];
        for e in all {
            assert!(
                e.status().is_client_error() || e.status().is_server_error(),
                "{e:?}"
            );
            assert!(!e.message().is_empty());
        }
        assert_eq!(
            AppError::Invalid("x".into()).status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn internal_details_do_not_travel() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "connection to 10.0.0.3 refused for user alice@example.com".into(),
        ));
        assert_eq!(e, AppError::Internal);
        let wire = String::from_utf8(e.ser().to_vec()).expect("utf-8");
        assert!(!wire.contains("alice"), "{wire}");
        assert!(!wire.contains("10.0.0.3"), "{wire}");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_lost_database_reads_as_try_again_soon() {
        assert_eq!(
            AppError::from(sqlx::Error::PoolTimedOut),
            AppError::Unavailable
        );
        assert_eq!(
            AppError::Unavailable.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(AppError::from(sqlx::Error::RowNotFound), AppError::Internal);
    }

    #[test]
    fn bad_arguments_are_the_senders_fault() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("size".into()));
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }
}
