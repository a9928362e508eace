//! Pages whose code is left out of the main browser bundle: each is split into a
//! chunk of its own by `cargo leptos build --split` and loaded when the page is
//! opened (on the server they render as any page does, so they still work
//! without JavaScript). The Member and Contact homes, a Member's page and the
//! notifications stay in the main bundle: they are what people open every day
//! (the schedule, with its four check-ins and weekdays, is chosen once and
//! changed rarely: it is split out). An alert's page (with its plan and closing form) is a
//! Contact's, on a rare day: the Member's home does not carry it.
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::accounts::devices::DevicesPage;
use crate::accounts::login::{ForgotPage, LoginPage, NewPinPage};
use crate::accounts::signup::{CreatePinPage, SignupPage, VerifyPage};
use crate::admin::pages::deliveries::{AdminDeliveriesPage, AdminDeliveryPage};
use crate::admin::pages::health::AdminHealthPage;
use crate::admin::pages::people::AdminPeoplePage;
use crate::admin::pages::person::AdminPersonPage;
use crate::admin::pages::step_up::AdminVerifyPage;
use crate::admin::pages::webhooks::AdminWebhooksPage;
use crate::alerts::answer::AnswerPage;
use crate::alerts::order::OrderPage;
use crate::alerts::pages::AlertPage;
use crate::alerts::settings::AlertSettingsPage;
use crate::billing::pages::BillingPage;
use crate::checkin::late::LatePage;
use crate::checkin::pages::SchedulePage;
use crate::connections::pages::{ConnectionsPage, JoinPage};
use crate::legal::{PrivacyPage, TermsPage};
use crate::onboarding::pages::{InviteStepPage, RemindersStepPage, SizeStepPage};
use crate::plan::pages::PlanPage;
use crate::privacy::pages::{DeletePage, GoodbyePage};
use crate::settings::email::EmailCodePage;
use crate::settings::pages::SettingsPage;

/// `Lazy::<$route>::new()` shows `$page`, loaded on demand.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    Signup => SignupPage,
    CreatePin => CreatePinPage,
    SizeStep => SizeStepPage,
    RemindersStep => RemindersStepPage,
    InviteStep => InviteStepPage,
    Verify => VerifyPage,
    Login => LoginPage,
    Forgot => ForgotPage,
    NewPin => NewPinPage,
    Settings => SettingsPage,
    AlertSettings => AlertSettingsPage,
    Order => OrderPage,
    Alert => AlertPage,
    Answer => AnswerPage,
    Plan => PlanPage,
    Late => LatePage,
    Schedule => SchedulePage,
    Delete => DeletePage,
    EmailCode => EmailCodePage,
    Goodbye => GoodbyePage,
    Devices => DevicesPage,
    Billing => BillingPage,
    Connections => ConnectionsPage,
    Join => JoinPage,
    Terms => TermsPage,
    Privacy => PrivacyPage,
    AdminHealth => AdminHealthPage,
    AdminVerify => AdminVerifyPage,
    AdminPeople => AdminPeoplePage,
    AdminPerson => AdminPersonPage,
    AdminDeliveries => AdminDeliveriesPage,
    AdminDelivery => AdminDeliveryPage,
    AdminWebhooks => AdminWebhooksPage,
}
