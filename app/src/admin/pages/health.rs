//! `/admin`: is Pruuf doing its work? Detector lag, the outbox, failures, dead
//! letters, the reconciliation, each process's heartbeat and the audit chain.
use super::super::views::HealthView;
use super::{admin_failed, AdminFrame, Fact};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/admin/api")]
pub async fn admin_health() -> Result<HealthView, AppError> {
    use crate::accounts::session::services;
    super::guard::require_fresh_admin().await?;
    super::super::service::Admin(&services()?).health().await
}

#[component]
pub fn AdminHealthPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_health());
    view! {
        <AdminFrame title="Health">
            <Suspense fallback=crate::checkin::pages::loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(h) => health_view(h).into_any(),
                        Err(e) => admin_failed(e),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn health_view(h: HealthView) -> impl IntoView {
    let backlog_total: i64 = h.backlog.iter().map(|b| b.2).sum();
    let audit_class = if h.audit_ok {
        "card"
    } else {
        "card banner-warning"
    };
    view! {
        <div class="stack">
            <section class="card" aria-labelledby="engine-title">
                <h2 id="engine-title">"Alerts"</h2>
                <dl class="facts">
                    <Fact term="Detector lag" value=format!("{} s", h.detector_lag_s)/>
                    <Fact term="Waiting to send" value=backlog_total.to_string()/>
                    <Fact term="Deliveries failed today" value=h.failed_today.to_string()/>
                    <Fact term="Stripe events dead-lettered" value=h.dead_letters.to_string()/>
                </dl>
                <h3>"Waiting, by channel and kind"</h3>
                {if h.backlog.is_empty() {
                    view! { <p>"Nothing is waiting."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list">
                            {h.backlog.into_iter().map(|(channel, kind, n)| view! {
                                <li>{format!("{channel} \u{b7} {kind}: {n}")}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="reconcile-title">
                <h2 id="reconcile-title">"Daily reconciliation with Stripe"</h2>
                <p>{h.reconciliation}</p>
            </section>
            <section class=audit_class aria-labelledby="audit-title">
                <h2 id="audit-title">"Audit log"</h2>
                <p>{h.audit}</p>
            </section>
            <section class="card" aria-labelledby="processes-title">
                <h2 id="processes-title">"Server processes"</h2>
                {if h.processes.is_empty() {
                    view! { <p>"No process has reported in the last day."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list">
                            {h.processes.into_iter().map(|p| {
                                let jobs = p.jobs.iter().map(|(j, s)| format!("{j} {s} s ago")).collect::<Vec<_>>().join(", ");
                                view! {
                                    <li>
                                        <dl class="facts">
                                            <Fact term="Process" value=format!("{} on {}", p.process, p.host)/>
                                            <Fact term="Last heartbeat" value=format!("{} ({} s ago)", p.last_beat, p.beat_age_s)/>
                                            <Fact term="Started" value=p.started/>
                                            <Fact term="Jobs' last passes" value=jobs/>
                                        </dl>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}
