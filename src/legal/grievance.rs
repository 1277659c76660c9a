//! Grievance deadlines (Complaints Law 2011, Denunciations Law 2018, the province's limit for
//! petitions): when a grievance must be accepted, its parties notified, and it resolved; and
//! the window for a second-round complaint.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calendar::{term_end, working_days_after};
use super::rules::{self, Rule};

/// The kinds of grievance live with the other vocabularies; re-exported here, where their
/// deadlines are.
pub use crate::domain::GrievanceKind;

/// How hard a grievance is: complaints know `complex`; denunciations also `especially
/// complex` (two extensions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    #[default]
    Normal,
    Complex,
    EspeciallyComplex,
}

/// What the deadlines depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrievanceFacts {
    pub kind: GrievanceKind,
    /// 1 or 2 (complaints only).
    pub round: i32,
    pub received_on: NaiveDate,
    /// None until accepted (thụ lý): the resolution deadline is then counted from the last
    /// day acceptance is due.
    pub accepted_on: Option<NaiveDate>,
    pub complexity: Complexity,
    pub remote_area: bool,
    /// The province's limit for answering petitions and feedback (a setting; 15 by default).
    pub petition_days: i64,
}

/// A date and the rule it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub on: NaiveDate,
    pub rule: &'static Rule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Deadlines {
    pub accept_by: Option<Due>,
    /// Denunciations: the parties are told within 5 working days of acceptance.
    pub notify_by: Option<Due>,
    pub resolve_by: Option<Due>,
}

/// The version of `rule` in force on `day`, the date the term counts from.
fn on(rule: &'static Rule, day: NaiveDate) -> &'static Rule {
    rules::in_force(rule.topic, day)
}

fn resolve_rule(round: i32, complex: bool, remote: bool, from: NaiveDate) -> &'static Rule {
    let first = match (round >= 2, complex, remote) {
        (false, false, false) => &rules::COMPLAINT_RESOLVE_1,
        (false, true, false) => &rules::COMPLAINT_RESOLVE_1_COMPLEX,
        (false, false, true) => &rules::COMPLAINT_RESOLVE_1_REMOTE,
        (false, true, true) => &rules::COMPLAINT_RESOLVE_1_REMOTE_COMPLEX,
        (true, false, false) => &rules::COMPLAINT_RESOLVE_2,
        (true, true, false) => &rules::COMPLAINT_RESOLVE_2_COMPLEX,
        (true, false, true) => &rules::COMPLAINT_RESOLVE_2_REMOTE,
        (true, true, true) => &rules::COMPLAINT_RESOLVE_2_REMOTE_COMPLEX,
    };
    on(first, from)
}

/// The deadlines of a grievance.
pub fn grievance_deadlines(f: &GrievanceFacts) -> Deadlines {
    match f.kind {
        GrievanceKind::Complaint => {
            let accept_rule = on(&rules::COMPLAINT_ACCEPT, f.received_on);
            let accept = Due {
                on: term_end(f.received_on, accept_rule.days()),
                rule: accept_rule,
            };
            let from = f.accepted_on.unwrap_or(accept.on);
            let rule = resolve_rule(
                f.round,
                f.complexity != Complexity::Normal,
                f.remote_area,
                from,
            );
            Deadlines {
                accept_by: Some(accept),
                notify_by: None,
                resolve_by: Some(Due {
                    on: term_end(from, rule.days()),
                    rule,
                }),
            }
        }
        GrievanceKind::Denunciation => {
            let accept_rule = on(&rules::DENUNCIATION_ACCEPT, f.received_on);
            let accept = Due {
                on: working_days_after(f.received_on, accept_rule.days() as u32),
                rule: accept_rule,
            };
            let from = f.accepted_on.unwrap_or(accept.on);
            let extensions = match f.complexity {
                Complexity::Normal => 0,
                Complexity::Complex => 1,
                Complexity::EspeciallyComplex => 2,
            };
            let (resolve, extension) = (
                on(&rules::DENUNCIATION_RESOLVE, from),
                on(&rules::DENUNCIATION_EXTENSION, from),
            );
            let days = resolve.days() + extensions * extension.days();
            Deadlines {
                accept_by: Some(accept),
                notify_by: f.accepted_on.map(|a| {
                    let rule = on(&rules::DENUNCIATION_NOTIFY, a);
                    Due {
                        on: working_days_after(a, rule.days() as u32),
                        rule,
                    }
                }),
                resolve_by: Some(Due {
                    on: term_end(from, days),
                    rule: if extensions == 0 { resolve } else { extension },
                }),
            }
        }
        GrievanceKind::Petition | GrievanceKind::Feedback => Deadlines {
            accept_by: None,
            notify_by: None,
            resolve_by: Some(Due {
                on: term_end(f.received_on, f.petition_days),
                rule: on(&rules::PETITION_ANSWER, f.received_on),
            }),
        },
    }
}

/// The last day a second-round complaint may be filed: 30 days (remote areas 45) after the
/// first-round decision, or after the first round's deadline when no decision came (LKN
/// Art. 33). `None` while the first round is undecided and its deadline has not passed by
/// `on`.
pub fn appeal_by(
    decided_on: Option<NaiveDate>,
    first_resolve_by: NaiveDate,
    remote_area: bool,
    on: NaiveDate,
) -> Option<Due> {
    let from = match decided_on {
        Some(d) => d,
        None if on > first_resolve_by => first_resolve_by,
        None => return None,
    };
    let rule = rules::in_force(
        if remote_area {
            rules::COMPLAINT_FILE_2_REMOTE.topic
        } else {
            rules::COMPLAINT_FILE_2.topic
        },
        from,
    );
    Some(Due {
        on: term_end(from, rule.days()),
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts(kind: GrievanceKind, received_on: NaiveDate) -> GrievanceFacts {
        GrievanceFacts {
            kind,
            round: 1,
            received_on,
            accepted_on: None,
            complexity: Complexity::Normal,
            remote_area: false,
            petition_days: 15,
        }
    }

    #[test]
    fn complaint_normal_complex_remote() {
        // Received Wed 1 Oct 2025: accept by Sat 11 Oct → Mon 13 Oct.
        let mut f = facts(GrievanceKind::Complaint, d(2025, 10, 1));
        let dl = grievance_deadlines(&f);
        assert_eq!(dl.accept_by.unwrap().on, d(2025, 10, 13));
        assert_eq!(
            dl.accept_by.unwrap().rule.article,
            "Luật Khiếu nại 2011 Điều 27"
        );
        // Accepted Mon 6 Oct: 30 days → Wed 5 Nov.
        f.accepted_on = Some(d(2025, 10, 6));
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 11, 5)
        );
        f.complexity = Complexity::Complex; // 45 → Thu 20 Nov
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 11, 20)
        );
        f.remote_area = true; // 60 → Fri 5 Dec
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 12, 5)
        );
        f.complexity = Complexity::Normal; // remote 45 → 20 Nov
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 11, 20)
        );
        // Second round: 45 / 60 / 60 / 70.
        f.round = 2;
        f.remote_area = false;
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 11, 20)
        );
        f.remote_area = true;
        f.complexity = Complexity::Complex; // 70 → Mon 15 Dec
        let r = grievance_deadlines(&f).resolve_by.unwrap();
        assert_eq!(r.on, d(2025, 12, 15));
        assert_eq!(r.rule.code, "complaint_resolve_2_remote_complex");
    }

    #[test]
    fn the_30th_day_and_leap_years() {
        // Accepted 30 Jan 2024: the 30th day is Thu 29 Feb 2024.
        let mut f = facts(GrievanceKind::Complaint, d(2024, 1, 25));
        f.accepted_on = Some(d(2024, 1, 30));
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2024, 2, 29)
        );
        // 2023: 1 Mar 2023 (Wednesday).
        f.received_on = d(2023, 1, 25);
        f.accepted_on = Some(d(2023, 1, 30));
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2023, 3, 1)
        );
    }

    #[test]
    fn unaccepted_complaint_resolution_runs_from_the_acceptance_deadline() {
        let f = facts(GrievanceKind::Complaint, d(2025, 10, 1));
        // Accept by 13 Oct, + 30 → Wed 12 Nov.
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 11, 12)
        );
    }

    #[test]
    fn denunciation_working_days_and_extensions() {
        // Received Fri 25 Apr 2025: 7 working days skipping 30 Apr, 1 May → Thu 8 May.
        let mut f = facts(GrievanceKind::Denunciation, d(2025, 4, 25));
        assert_eq!(grievance_deadlines(&f).accept_by.unwrap().on, d(2025, 5, 8));
        assert_eq!(grievance_deadlines(&f).notify_by, None);
        // Accepted Fri 25 Apr: notify within 5 working days → Tue 6 May.
        f.accepted_on = Some(d(2025, 4, 25));
        let dl = grievance_deadlines(&f);
        assert_eq!(dl.notify_by.unwrap().on, d(2025, 5, 6));
        assert_eq!(dl.notify_by.unwrap().rule.code, "denunciation_notify");
        // Resolve: 30 days → Sun 25 May → Mon 26 May; complex 60 → Tue 24 Jun; especially
        // complex 90 → Thu 24 Jul.
        assert_eq!(dl.resolve_by.unwrap().on, d(2025, 5, 26));
        f.complexity = Complexity::Complex;
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 6, 24)
        );
        f.complexity = Complexity::EspeciallyComplex;
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 7, 24)
        );
    }

    #[test]
    fn petitions_use_the_setting() {
        let mut f = facts(GrievanceKind::Petition, d(2025, 6, 2));
        let dl = grievance_deadlines(&f);
        assert_eq!(dl.accept_by, None);
        assert_eq!(dl.resolve_by.unwrap().on, d(2025, 6, 17));
        f.petition_days = 20;
        f.kind = GrievanceKind::Feedback;
        assert_eq!(
            grievance_deadlines(&f).resolve_by.unwrap().on,
            d(2025, 6, 23)
        );
    }

    #[test]
    fn appeal_window() {
        // Decided Mon 3 Nov 2025: file by Wed 3 Dec (30 days), remote Thu 18 Dec (45 days).
        let w = appeal_by(Some(d(2025, 11, 3)), d(2025, 11, 5), false, d(2025, 11, 20)).unwrap();
        assert_eq!(w.on, d(2025, 12, 3));
        let w = appeal_by(Some(d(2025, 11, 3)), d(2025, 11, 5), true, d(2025, 11, 20)).unwrap();
        assert_eq!(w.on, d(2025, 12, 18));
        // Undecided: only once the first round's deadline has passed, counted from it.
        assert_eq!(appeal_by(None, d(2025, 11, 5), false, d(2025, 11, 5)), None);
        let w = appeal_by(None, d(2025, 11, 5), false, d(2025, 11, 6)).unwrap();
        assert_eq!(w.on, d(2025, 12, 5));
    }
}
