//! Case stages in legal order: what must come first, the earliest date a stage may take, and
//! the deadline each stage starts for the next required one (LĐĐ 2024 Art. 85–94).
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::calendar::{term_end, term_end_months, working_days_after};
use super::rules::{self, Rule};
use crate::domain::{CaseStage, LandGroup, LandUse};

/// Agricultural land needs 90 days of notice, non-agricultural 180 (60 and 120 for notices
/// from 1 Jan 2026).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LandKind {
    Agricultural,
    NonAgricultural,
}

impl LandKind {
    /// The kind of a land-use code, from its group in the land-type table
    /// ([`crate::domain::land_types`], LĐĐ 2024 Art. 9): the agricultural group is
    /// agricultural; non-agricultural and unused land, and a code the table does not know,
    /// take the longer notice ("other land", Art. 85(1)).
    pub fn of(land_use: &str) -> LandKind {
        match crate::domain::land_types::lookup(land_use).map(LandUse::group) {
            Ok(LandGroup::Agricultural) => LandKind::Agricultural,
            Ok(LandGroup::NonAgricultural | LandGroup::Unused) | Err(_) => {
                LandKind::NonAgricultural
            }
        }
    }

    /// The kind a household's notice must satisfy: the longest, if any parcel is
    /// non-agricultural.
    pub fn strictest(kinds: impl IntoIterator<Item = LandKind>) -> LandKind {
        if kinds.into_iter().any(|k| k == LandKind::NonAgricultural) {
            LandKind::NonAgricultural
        } else {
            LandKind::Agricultural
        }
    }

    /// The notice minimum for this kind of land, in force on the notice's date.
    pub fn notice_rule(self, notice_on: NaiveDate) -> &'static Rule {
        let topic = match self {
            LandKind::Agricultural => rules::NOTICE_MIN_AGRICULTURAL.topic,
            LandKind::NonAgricultural => rules::NOTICE_MIN_NON_AGRICULTURAL.topic,
        };
        rules::in_force(topic, notice_on)
    }
}

/// The earliest recovery decision after a notice of `notice_on` on `land`: the notice minimum
/// in force on the notice's date (the decision's own date does not choose the rule).
pub fn decision_allowed_from(land: LandKind, notice_on: NaiveDate) -> NaiveDate {
    term_days(notice_on, land.notice_rule(notice_on).days())
}

/// The earliest approval of a plan posted on `posted_on`: the posting period in force on the
/// posting date ([`rules::plan_posting`]).
pub fn plan_approvable_from(posted_on: NaiveDate) -> NaiveDate {
    term_days(posted_on, rules::plan_posting(posted_on).days())
}

/// The stage that must be recorded before `stage`, if any.
pub fn prerequisite(stage: CaseStage) -> Option<CaseStage> {
    use CaseStage::{
        Briefing, Enforcement, HandedOver, Inventory, Notice, Paid, PlanApproved, PlanPosted,
        RecoveryDecision, Resettled,
    };
    match stage {
        Briefing => None,
        Notice => Some(Briefing),
        Inventory => Some(Notice),
        PlanPosted => Some(Inventory),
        PlanApproved => Some(PlanPosted),
        RecoveryDecision => Some(PlanApproved),
        Paid => Some(PlanApproved),
        HandedOver => Some(RecoveryDecision),
        Resettled => Some(PlanApproved),
        Enforcement => Some(RecoveryDecision),
    }
}

/// The rule that governs a stage (its article and what it says), as the table first states it;
/// [`stage_rule_on`] gives the version in force on a date.
pub fn stage_rule(stage: CaseStage) -> &'static Rule {
    use CaseStage::{
        Briefing, Enforcement, HandedOver, Inventory, Notice, Paid, PlanApproved, PlanPosted,
        RecoveryDecision, Resettled,
    };
    match stage {
        Briefing => &rules::BRIEFING_FIRST,
        Notice => &rules::NOTICE_LAPSE,
        Inventory => &rules::INVENTORY_PERSUASION,
        PlanPosted => &rules::PLAN_POSTING,
        PlanApproved => &rules::PLAN_APPROVAL,
        RecoveryDecision => &rules::DECISION_AFTER_APPROVAL,
        Paid => &rules::PAYMENT_AFTER_APPROVAL,
        HandedOver => &rules::HANDOVER_AFTER_COMPLIANCE,
        Resettled => &rules::RESETTLEMENT,
        Enforcement => &rules::ENFORCEMENT_PREREQUISITE,
    }
}

/// The rule that governs a stage recorded on `on`: the version in force that day.
pub fn stage_rule_on(stage: CaseStage, on: NaiveDate) -> &'static Rule {
    rules::in_force(stage_rule(stage).topic, on)
}

/// The rule behind a deadline that a `from` stage started for the `due` stage, in force on
/// `on`: the date of the event the deadline counts from (for payment, the plan's approval).
pub fn deadline_rule(from: CaseStage, due: CaseStage, on: NaiveDate) -> &'static Rule {
    use CaseStage::{HandedOver, Notice, Paid, PlanApproved, RecoveryDecision};
    let first = match (from, due) {
        (Notice, RecoveryDecision) => &rules::NOTICE_LAPSE,
        (PlanApproved, RecoveryDecision) => &rules::DECISION_AFTER_APPROVAL,
        (_, Paid) => &rules::PAYMENT_AFTER_APPROVAL,
        (_, HandedOver) => &rules::HANDOVER_AFTER_COMPLIANCE,
        (_, s) => stage_rule(s),
    };
    rules::in_force(first.topic, on)
}

/// Stages that may be recorded more than once for the same household or parcel: a lapsed
/// notice is issued again, an enforcement is rescheduled.
pub fn repeatable(stage: CaseStage) -> bool {
    matches!(stage, CaseStage::Notice | CaseStage::Enforcement)
}

/// A recorded stage, as far as the rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub stage: CaseStage,
    /// None: the whole household.
    pub parcel_id: Option<i32>,
    pub occurred_on: NaiveDate,
}

impl Recorded {
    /// Whether this event counts for a new event about `parcel`: household-wide events count
    /// for every parcel; for a household-wide new event, events of any parcel count.
    fn applies_to(&self, parcel: Option<i32>) -> bool {
        self.parcel_id.is_none() || parcel.is_none() || self.parcel_id == parcel
    }
}

/// Why a stage may not be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// `needs` has not been recorded (for `stage` dated `on`).
    MissingPrerequisite {
        stage: CaseStage,
        needs: CaseStage,
        on: NaiveDate,
    },
    /// `needs` was recorded, but only after the date given (`on`: the refused stage's date).
    BeforePrerequisite {
        stage: CaseStage,
        needs: CaseStage,
        needs_on: NaiveDate,
        on: NaiveDate,
    },
    /// The law sets a minimum time after an earlier stage.
    TooEarly {
        stage: CaseStage,
        earliest: NaiveDate,
        rule: &'static Rule,
        after: CaseStage,
        after_on: NaiveDate,
    },
    /// The notice the decision rests on has lapsed.
    NoticeLapsed {
        notice_on: NaiveDate,
        lapsed_on: NaiveDate,
    },
    /// Already recorded (and not a repeatable stage).
    Duplicate { stage: CaseStage, on: NaiveDate },
}

impl Violation {
    pub fn code(&self) -> &'static str {
        match self {
            Violation::MissingPrerequisite { .. } => "stage_prerequisite_missing",
            Violation::BeforePrerequisite { .. } => "stage_before_prerequisite",
            Violation::TooEarly { .. } => "stage_too_early",
            Violation::NoticeLapsed { .. } => "notice_lapsed",
            Violation::Duplicate { .. } => "stage_already_recorded",
        }
    }

    /// The rule refused by, in the version in force on the date that governs it.
    pub fn rule(&self) -> &'static Rule {
        match self {
            // The briefing-first rule is the notice's order rule (Art. 87(1)).
            Violation::MissingPrerequisite {
                stage: CaseStage::Notice,
                on,
                ..
            }
            | Violation::BeforePrerequisite {
                stage: CaseStage::Notice,
                on,
                ..
            } => rules::in_force(rules::BRIEFING_FIRST.topic, *on),
            Violation::MissingPrerequisite { stage, on, .. }
            | Violation::BeforePrerequisite { stage, on, .. }
            | Violation::Duplicate { stage, on } => stage_rule_on(*stage, *on),
            Violation::TooEarly { rule, .. } => rule,
            Violation::NoticeLapsed { notice_on, .. } => {
                rules::in_force(rules::NOTICE_LAPSE.topic, *notice_on)
            }
        }
    }

    /// The facts of the refusal, for a message in the user's language (`error.<code>` with
    /// these placeholders) and the field at fault.
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Violation::MissingPrerequisite { stage, needs, .. } => {
                json!({"field": "stage", "stage": stage, "needs": needs})
            }
            Violation::BeforePrerequisite {
                stage,
                needs,
                needs_on,
                ..
            } => {
                json!({"field": "occurred_on", "stage": stage, "needs": needs, "needs_on": needs_on})
            }
            Violation::TooEarly {
                stage,
                earliest,
                after,
                after_on,
                ..
            } => json!({
                "field": "occurred_on", "stage": stage, "earliest": earliest, "after": after,
                "after_on": after_on
            }),
            Violation::NoticeLapsed {
                notice_on,
                lapsed_on,
            } => {
                json!({"field": "stage", "notice_on": notice_on, "lapsed_on": lapsed_on})
            }
            Violation::Duplicate { stage, on } => {
                json!({"field": "stage", "stage": stage, "on": on})
            }
        }
    }

    /// What is wrong and what to do, in English.
    pub fn message(&self) -> String {
        match self {
            Violation::MissingPrerequisite { stage, needs, .. } => format!(
                "`{needs}` must be recorded before `{stage}` ({}): record {needs} first",
                self.rule().article
            ),
            Violation::BeforePrerequisite { stage, needs, needs_on, .. } => format!(
                "`{stage}` cannot be dated before `{needs}`, recorded on {needs_on}: `{needs}` must come first"
            ),
            Violation::TooEarly { stage, earliest, rule, after, after_on } => format!(
                "`{stage}` may not be dated before {earliest}: {} ({}), counted from `{after}` on {after_on}",
                rule.en, rule.article
            ),
            Violation::NoticeLapsed { notice_on, lapsed_on } => format!(
                "the land-recovery notice of {notice_on} lapsed on {lapsed_on} ({}): record a new notice first",
                self.rule().article
            ),
            Violation::Duplicate { stage, on } => format!(
                "`{stage}` is already recorded (on {on}) for this household or parcel"
            ),
        }
    }
}

/// Whether `new` may be recorded after `history` (the household's events). Pure: the service
/// and the property tests call the same function.
pub fn check_stage(history: &[Recorded], new: &Recorded, land: LandKind) -> Result<(), Violation> {
    let relevant = || history.iter().filter(|e| e.applies_to(new.parcel_id));
    if !repeatable(new.stage) {
        if let Some(e) = relevant().find(|e| e.stage == new.stage && e.parcel_id == new.parcel_id) {
            return Err(Violation::Duplicate {
                stage: new.stage,
                on: e.occurred_on,
            });
        }
    }
    let Some(needs) = prerequisite(new.stage) else {
        return Ok(());
    };
    let before: Vec<&Recorded> = relevant().filter(|e| e.stage == needs).collect();
    if before.is_empty() {
        return Err(Violation::MissingPrerequisite {
            stage: new.stage,
            needs,
            on: new.occurred_on,
        });
    }
    let Some(prior) = before
        .iter()
        .filter(|e| e.occurred_on <= new.occurred_on)
        .max_by_key(|e| e.occurred_on)
    else {
        let needs_on = before
            .iter()
            .map(|e| e.occurred_on)
            .min()
            .unwrap_or(new.occurred_on);
        return Err(Violation::BeforePrerequisite {
            stage: new.stage,
            needs,
            needs_on,
            on: new.occurred_on,
        });
    };
    match new.stage {
        CaseStage::PlanApproved => {
            // The posting period in force on the posting date, whenever the approval comes.
            let earliest = plan_approvable_from(prior.occurred_on);
            if new.occurred_on < earliest {
                return Err(Violation::TooEarly {
                    stage: new.stage,
                    earliest,
                    rule: rules::plan_posting(prior.occurred_on),
                    after: CaseStage::PlanPosted,
                    after_on: prior.occurred_on,
                });
            }
        }
        CaseStage::RecoveryDecision => {
            // The notice in force: the latest one on or before the decision.
            if let Some(notice) = relevant()
                .filter(|e| e.stage == CaseStage::Notice && e.occurred_on <= new.occurred_on)
                .max_by_key(|e| e.occurred_on)
            {
                // The minimum in force on the notice's date, not on the decision's.
                let rule = land.notice_rule(notice.occurred_on);
                let earliest = decision_allowed_from(land, notice.occurred_on);
                if new.occurred_on < earliest {
                    return Err(Violation::TooEarly {
                        stage: new.stage,
                        earliest,
                        rule,
                        after: CaseStage::Notice,
                        after_on: notice.occurred_on,
                    });
                }
                let lapsed_on = notice_lapses_on(notice.occurred_on);
                if new.occurred_on > lapsed_on {
                    return Err(Violation::NoticeLapsed {
                        notice_on: notice.occurred_on,
                        lapsed_on,
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A plain calendar offset (minimum periods are not rolled to working days).
fn term_days(from: NaiveDate, days: i64) -> NaiveDate {
    from + chrono::Duration::days(days)
}

/// The last day a notice of `notice_on` is in force: 12 months (Art. 85), by the rule in force
/// on the notice's date.
pub fn notice_lapses_on(notice_on: NaiveDate) -> NaiveDate {
    match rules::in_force(rules::NOTICE_LAPSE.topic, notice_on).term {
        rules::Term::Months(m) => notice_on
            .checked_add_months(chrono::Months::new(m))
            .unwrap_or(notice_on),
        _ => notice_on,
    }
}

/// A deadline a recorded stage starts: `stage` must be reached by `due_on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub stage: CaseStage,
    pub due_on: NaiveDate,
    pub rule: &'static Rule,
}

/// The deadline a stage recorded on `occurred_on` starts, from its own date alone, under the
/// rule in force on that date. The payment deadline runs from the plan's approval: for
/// `recovery_decision` use [`deadline_in`], which finds the approval in the history.
pub fn deadline(stage: CaseStage, occurred_on: NaiveDate, _land: LandKind) -> Option<Deadline> {
    use CaseStage::{
        Briefing, Enforcement, HandedOver, Inventory, Notice, Paid, PlanApproved, PlanPosted,
        RecoveryDecision, Resettled,
    };
    let next = match stage {
        Notice | PlanApproved => RecoveryDecision,
        // Without the approval date: counted from the decision itself.
        RecoveryDecision => Paid,
        Enforcement => HandedOver,
        Briefing | Inventory | PlanPosted | Paid | HandedOver | Resettled => return None,
    };
    Some(counted_from(
        next,
        deadline_rule(stage, next, occurred_on),
        occurred_on,
    ))
}

/// The deadline `rule` sets for `next`, counted from `from` (the rule's term; a term end on a
/// rest day moves to the next working day).
fn counted_from(next: CaseStage, rule: &'static Rule, from: NaiveDate) -> Deadline {
    let due_on = match rule.term {
        rules::Term::Months(m) => term_end_months(from, m),
        rules::Term::WorkingDays(n) => working_days_after(from, n as u32),
        rules::Term::Days(_) | rules::Term::None => term_end(from, rule.days()),
    };
    Deadline {
        stage: next,
        due_on,
        rule,
    }
}

/// The deadline `new` starts given the household's history: as [`deadline`], except that
/// payment is due 30 days after the plan's approval (Art. 94(3)), not after the decision, by
/// the rule in force on the approval date.
pub fn deadline_in(history: &[Recorded], new: &Recorded, land: LandKind) -> Option<Deadline> {
    if new.stage == CaseStage::RecoveryDecision {
        if let Some(approved) = history
            .iter()
            .filter(|e| {
                e.stage == CaseStage::PlanApproved
                    && e.applies_to(new.parcel_id)
                    && e.occurred_on <= new.occurred_on
            })
            .max_by_key(|e| e.occurred_on)
        {
            let rule = deadline_rule(new.stage, CaseStage::Paid, approved.occurred_on);
            return Some(counted_from(CaseStage::Paid, rule, approved.occurred_on));
        }
    }
    deadline(new.stage, new.occurred_on, land)
}

/// For a household refusing the inventory: persuasion from `started_on` lasts 15 days; the
/// compulsory inventory decision may come 10 days after that. Returns (persuasion ends,
/// compulsory inventory allowed from).
pub fn compulsory_inventory_from(started_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    let persuasion = rules::in_force(rules::INVENTORY_PERSUASION.topic, started_on);
    let ends = term_days(started_on, persuasion.days());
    let compulsory = rules::in_force(rules::COMPULSORY_INVENTORY.topic, ends);
    (ends, term_days(ends, compulsory.days()))
}

/// The stages in legal order that a case normally passes (enforcement is not one of them).
pub const ORDER: &[CaseStage] = &[
    CaseStage::Briefing,
    CaseStage::Notice,
    CaseStage::Inventory,
    CaseStage::PlanPosted,
    CaseStage::PlanApproved,
    CaseStage::RecoveryDecision,
    CaseStage::Paid,
    CaseStage::HandedOver,
    CaseStage::Resettled,
];

/// The next stage in legal order not yet recorded, if any.
pub fn next_stage(recorded: &[CaseStage]) -> Option<CaseStage> {
    ORDER.iter().copied().find(|s| !recorded.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use CaseStage::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rec(stage: CaseStage, on: NaiveDate) -> Recorded {
        Recorded {
            stage,
            parcel_id: None,
            occurred_on: on,
        }
    }

    fn happy_path() -> Vec<Recorded> {
        vec![
            rec(Briefing, d(2025, 1, 6)),
            rec(Notice, d(2025, 1, 10)),
            rec(Inventory, d(2025, 2, 10)),
            rec(PlanPosted, d(2025, 3, 3)),
            rec(PlanApproved, d(2025, 4, 10)),
            rec(RecoveryDecision, d(2025, 4, 15)),
            rec(Paid, d(2025, 5, 2)),
            rec(HandedOver, d(2025, 5, 20)),
        ]
    }

    #[test]
    fn the_legal_order_is_accepted() {
        let all = happy_path();
        for i in 0..all.len() {
            assert_eq!(
                check_stage(&all[..i], &all[i], LandKind::Agricultural),
                Ok(()),
                "{:?}",
                all[i]
            );
        }
    }

    #[test]
    fn recovery_decision_before_plan_approved_says_which_first() {
        let all = happy_path();
        let err = check_stage(
            &all[..4],
            &rec(RecoveryDecision, d(2025, 4, 15)),
            LandKind::Agricultural,
        )
        .unwrap_err();
        assert_eq!(
            err,
            Violation::MissingPrerequisite {
                stage: RecoveryDecision,
                needs: PlanApproved,
                on: d(2025, 4, 15),
            }
        );
        assert!(err
            .message()
            .contains("`plan_approved` must be recorded before `recovery_decision`"));
        assert!(err.message().contains("Điều 87(5)"));
    }

    #[test]
    fn a_stage_cannot_be_dated_before_its_prerequisite() {
        let all = happy_path();
        let err = check_stage(
            &all[..3],
            &rec(PlanPosted, d(2025, 2, 1)),
            LandKind::Agricultural,
        )
        .unwrap_err();
        assert_eq!(err.code(), "stage_before_prerequisite");
    }

    #[test]
    fn notice_minimum_90_and_180_days() {
        let all = happy_path();
        // Notice 10 Jan 2025 + 90 days = 10 Apr 2025 (the 90th day is allowed).
        let hist = &all[..5];
        assert_eq!(
            check_stage(
                hist,
                &rec(RecoveryDecision, d(2025, 4, 10)),
                LandKind::Agricultural
            ),
            Ok(())
        );
        let mut early = hist.to_vec();
        early[4] = rec(PlanApproved, d(2025, 4, 2));
        let err = check_stage(
            &early,
            &rec(RecoveryDecision, d(2025, 4, 9)),
            LandKind::Agricultural,
        )
        .unwrap_err();
        assert!(matches!(err, Violation::TooEarly { earliest, .. } if earliest == d(2025, 4, 10)));
        // Non-agricultural: 180 days → 9 Jul 2025.
        let err = check_stage(
            hist,
            &rec(RecoveryDecision, d(2025, 7, 8)),
            LandKind::NonAgricultural,
        )
        .unwrap_err();
        assert!(matches!(err, Violation::TooEarly { earliest, rule, .. }
            if earliest == d(2025, 7, 9) && rule.code == "notice_min_non_agricultural"));
        assert_eq!(
            check_stage(
                hist,
                &rec(RecoveryDecision, d(2025, 7, 9)),
                LandKind::NonAgricultural
            ),
            Ok(())
        );
    }

    #[test]
    fn notice_lapses_after_12_months_leap_day_included() {
        assert_eq!(notice_lapses_on(d(2024, 2, 29)), d(2025, 2, 28));
        assert_eq!(notice_lapses_on(d(2023, 3, 1)), d(2024, 3, 1));
        let hist = vec![
            rec(Briefing, d(2024, 2, 20)),
            rec(Notice, d(2024, 2, 29)),
            rec(Inventory, d(2024, 3, 10)),
            rec(PlanPosted, d(2024, 4, 1)),
            rec(PlanApproved, d(2025, 2, 20)),
        ];
        assert_eq!(
            check_stage(
                &hist,
                &rec(RecoveryDecision, d(2025, 2, 28)),
                LandKind::Agricultural
            ),
            Ok(())
        );
        let err = check_stage(
            &hist,
            &rec(RecoveryDecision, d(2025, 3, 1)),
            LandKind::Agricultural,
        )
        .unwrap_err();
        assert_eq!(err.code(), "notice_lapsed");
        // A new notice is allowed (repeatable) and then the 90 days run again from it.
        let mut again = hist.clone();
        let renewed = rec(Notice, d(2025, 3, 3));
        assert_eq!(
            check_stage(&again, &renewed, LandKind::Agricultural),
            Ok(())
        );
        again.push(renewed);
        assert_eq!(
            check_stage(
                &again,
                &rec(RecoveryDecision, d(2025, 3, 10)),
                LandKind::Agricultural
            )
            .unwrap_err()
            .code(),
            "stage_too_early"
        );
    }

    #[test]
    fn plan_posted_30_days_before_approval() {
        let all = happy_path();
        // Posted 3 Mar 2025: approval from 2 Apr 2025 (30 days).
        assert!(check_stage(
            &all[..4],
            &rec(PlanApproved, d(2025, 4, 1)),
            LandKind::Agricultural
        )
        .is_err());
        assert_eq!(
            check_stage(
                &all[..4],
                &rec(PlanApproved, d(2025, 4, 2)),
                LandKind::Agricultural
            ),
            Ok(())
        );
    }

    #[test]
    fn duplicates_refused_except_notice_and_enforcement() {
        let all = happy_path();
        let err =
            check_stage(&all, &rec(Inventory, d(2025, 6, 1)), LandKind::Agricultural).unwrap_err();
        assert_eq!(err.code(), "stage_already_recorded");
        assert_eq!(
            check_stage(
                &all,
                &rec(Enforcement, d(2025, 6, 2)),
                LandKind::Agricultural
            ),
            Ok(())
        );
        // A parcel may take a stage the household took for another parcel.
        let mut hist = all[..3].to_vec();
        hist.push(Recorded {
            stage: PlanPosted,
            parcel_id: Some(1),
            occurred_on: d(2025, 3, 3),
        });
        let other = Recorded {
            stage: PlanPosted,
            parcel_id: Some(2),
            occurred_on: d(2025, 3, 4),
        };
        assert_eq!(check_stage(&hist, &other, LandKind::Agricultural), Ok(()));
        // Parcel 2 cannot be approved on parcel 1's posting.
        let approve2 = Recorded {
            stage: PlanApproved,
            parcel_id: Some(2),
            occurred_on: d(2025, 4, 10),
        };
        assert_eq!(
            check_stage(&hist, &approve2, LandKind::Agricultural)
                .unwrap_err()
                .code(),
            "stage_prerequisite_missing"
        );
    }

    #[test]
    fn deadlines_each_stage_starts() {
        let ag = LandKind::Agricultural;
        // Decision within 10 days of approval: 10 Apr 2025 → 20 Apr (Sunday) → Mon 21 Apr.
        let dl = deadline(PlanApproved, d(2025, 4, 10), ag).unwrap();
        assert_eq!((dl.stage, dl.due_on), (RecoveryDecision, d(2025, 4, 21)));
        assert_eq!(dl.rule.article, "LĐĐ 2024 Điều 87(5)");
        // Payment within 30 days of approval, not of the decision.
        let all = happy_path();
        let dl = deadline_in(&all[..5], &all[5], ag).unwrap();
        assert_eq!((dl.stage, dl.due_on), (Paid, d(2025, 5, 12)));
        assert_eq!(dl.rule.code, "payment_after_approval");
        // Notice: 12 months → decision by 10 Jan 2026 (Saturday) → Monday 12 Jan 2026.
        let dl = deadline(Notice, d(2025, 1, 10), ag).unwrap();
        assert_eq!((dl.stage, dl.due_on), (RecoveryDecision, d(2026, 1, 12)));
        // Hand-over within 30 days of the compliance record at enforcement.
        let dl = deadline(Enforcement, d(2025, 6, 2), ag).unwrap();
        assert_eq!((dl.stage, dl.due_on), (HandedOver, d(2025, 7, 2)));
        assert_eq!(deadline(Paid, d(2025, 6, 2), ag), None);
        // The 30th day: approval on 31 Jan 2024 (leap year) → 1 Mar 2024 (Friday).
        let dl = deadline_in(
            &[rec(PlanApproved, d(2024, 1, 31))],
            &rec(RecoveryDecision, d(2024, 2, 5)),
            ag,
        )
        .unwrap();
        assert_eq!(dl.due_on, d(2024, 3, 1));
        // In 2023 the same approval gives 2 Mar 2023 (Thursday).
        let dl = deadline_in(
            &[rec(PlanApproved, d(2023, 1, 31))],
            &rec(RecoveryDecision, d(2023, 2, 5)),
            ag,
        )
        .unwrap();
        assert_eq!(dl.due_on, d(2023, 3, 2));
    }

    /// A household's story up to the posting, with the notice on `notice` and the plan posted
    /// on `posted`.
    fn story(notice: NaiveDate, posted: NaiveDate) -> Vec<Recorded> {
        vec![
            rec(Briefing, notice - chrono::Duration::days(7)),
            rec(Notice, notice),
            rec(Inventory, notice + chrono::Duration::days(1)),
            rec(PlanPosted, posted),
        ]
    }

    /// Approved the day after the posting period, whatever the period.
    fn approved(mut hist: Vec<Recorded>) -> Vec<Recorded> {
        let posted = hist[3].occurred_on;
        hist.push(rec(PlanApproved, plan_approvable_from(posted)));
        hist
    }

    #[test]
    fn the_notice_minimum_is_the_one_in_force_on_the_notice_date() {
        let ag = LandKind::Agricultural;
        // Noticed on the last day of 2025: 90 days, even though the decision is in 2026.
        let hist = approved(story(d(2025, 12, 31), d(2026, 1, 5)));
        assert_eq!(decision_allowed_from(ag, d(2025, 12, 31)), d(2026, 3, 31));
        let err = check_stage(&hist, &rec(RecoveryDecision, d(2026, 3, 30)), ag).unwrap_err();
        let Violation::TooEarly {
            earliest,
            rule,
            after,
            ..
        } = err.clone()
        else {
            panic!("{err:?}");
        };
        assert_eq!((earliest, after), (d(2026, 3, 31), Notice));
        assert_eq!(rule.code, "notice_min_agricultural");
        assert!(
            err.message().contains("LĐĐ 2024 Điều 85(1),(2),(5)"),
            "{}",
            err.message()
        );
        assert_eq!(err.rule().code, "notice_min_agricultural");
        assert_eq!(
            check_stage(&hist, &rec(RecoveryDecision, d(2026, 3, 31)), ag),
            Ok(())
        );

        // Noticed on the first day of 2026: 60 days.
        let hist = approved(story(d(2026, 1, 1), d(2026, 1, 5)));
        assert_eq!(decision_allowed_from(ag, d(2026, 1, 1)), d(2026, 3, 2));
        let err = check_stage(&hist, &rec(RecoveryDecision, d(2026, 3, 1)), ag).unwrap_err();
        assert!(matches!(err, Violation::TooEarly { earliest, rule, .. }
            if earliest == d(2026, 3, 2) && rule.code == "notice_min_agricultural_2026"));
        assert!(
            err.message().contains("Nghị quyết 254/2025/QH15 Điều 3(9)"),
            "{}",
            err.message()
        );
        assert_eq!(
            check_stage(&hist, &rec(RecoveryDecision, d(2026, 3, 2)), ag),
            Ok(())
        );

        // Non-agricultural land: 180 days for a notice of 2025, 120 for one of 2026.
        let non = LandKind::NonAgricultural;
        assert_eq!(decision_allowed_from(non, d(2025, 12, 31)), d(2026, 6, 29));
        assert_eq!(decision_allowed_from(non, d(2026, 1, 1)), d(2026, 5, 1));
        assert_eq!(
            non.notice_rule(d(2026, 1, 1)).code,
            "notice_min_non_agricultural_2026"
        );
    }

    #[test]
    fn the_posting_period_is_the_one_in_force_on_the_posting_date() {
        let ag = LandKind::Agricultural;
        // Posted on the last day of 2025: 30 days.
        let hist = story(d(2025, 10, 1), d(2025, 12, 31));
        assert_eq!(plan_approvable_from(d(2025, 12, 31)), d(2026, 1, 30));
        let err = check_stage(&hist, &rec(PlanApproved, d(2026, 1, 29)), ag).unwrap_err();
        assert!(
            matches!(err, Violation::TooEarly { earliest, rule, after: PlanPosted, .. }
            if earliest == d(2026, 1, 30) && rule.code == "plan_posting")
        );
        assert!(err.message().contains("LĐĐ 2024 Điều 87(3)(a)"));
        assert_eq!(
            check_stage(&hist, &rec(PlanApproved, d(2026, 1, 30)), ag),
            Ok(())
        );
        // Posted on the first day of 2026: 10 days.
        let hist = story(d(2025, 10, 1), d(2026, 1, 1));
        assert_eq!(plan_approvable_from(d(2026, 1, 1)), d(2026, 1, 11));
        let err = check_stage(&hist, &rec(PlanApproved, d(2026, 1, 10)), ag).unwrap_err();
        assert!(matches!(err, Violation::TooEarly { earliest, rule, .. }
            if earliest == d(2026, 1, 11) && rule.code == "plan_posting_2026"));
        assert!(err.message().contains("Nghị quyết 254/2025/QH15 Điều 3(9)"));
        assert_eq!(
            check_stage(&hist, &rec(PlanApproved, d(2026, 1, 11)), ag),
            Ok(())
        );
        // An order refusal of a 2026 posting cites the 2026 posting rule too.
        let err = check_stage(&hist[..2], &rec(PlanPosted, d(2026, 1, 2)), ag).unwrap_err();
        assert_eq!(err.code(), "stage_prerequisite_missing");
        assert_eq!(err.rule().code, "plan_posting_2026");
    }

    #[test]
    fn a_project_across_the_change_takes_each_events_own_rule() {
        let ag = LandKind::Agricultural;
        // Noticed in 2025 (90 days), plan posted in 2026 (10 days).
        let mut hist = story(d(2025, 11, 3), d(2026, 1, 5));
        // The posting: 10 days, as posted in 2026.
        assert!(check_stage(&hist, &rec(PlanApproved, d(2026, 1, 14)), ag).is_err());
        let approval = rec(PlanApproved, d(2026, 1, 15));
        assert_eq!(check_stage(&hist, &approval, ag), Ok(()));
        hist.push(approval);
        // The decision: 90 days from the 2025 notice (1 Feb 2026), not the 60 of 2026.
        let err = check_stage(&hist, &rec(RecoveryDecision, d(2026, 1, 31)), ag).unwrap_err();
        assert!(
            matches!(err, Violation::TooEarly { earliest, rule, after: Notice, .. }
            if earliest == d(2026, 2, 1) && rule.code == "notice_min_agricultural")
        );
        assert_eq!(
            check_stage(&hist, &rec(RecoveryDecision, d(2026, 2, 1)), ag),
            Ok(())
        );
        // A notice issued again in 2026 brings the 2026 minimum with it.
        hist.push(rec(Notice, d(2026, 1, 20)));
        let err = check_stage(&hist, &rec(RecoveryDecision, d(2026, 3, 20)), ag).unwrap_err();
        assert!(matches!(err, Violation::TooEarly { earliest, rule, .. }
            if earliest == d(2026, 3, 21) && rule.code == "notice_min_agricultural_2026"));
    }

    #[test]
    fn deadlines_cite_the_rule_in_force_on_the_event_date() {
        let ag = LandKind::Agricultural;
        for on in [d(2025, 12, 31), d(2026, 1, 1)] {
            for stage in [Notice, PlanApproved, RecoveryDecision, Enforcement] {
                let dl = deadline(stage, on, ag).unwrap();
                assert!(dl.rule.is_in_force(on), "{stage} {on}: {}", dl.rule.code);
                assert_eq!(deadline_rule(stage, dl.stage, on), dl.rule);
            }
        }
        assert_eq!(
            stage_rule_on(PlanPosted, d(2025, 12, 31)).code,
            "plan_posting"
        );
        assert_eq!(
            stage_rule_on(PlanPosted, d(2026, 1, 1)).code,
            "plan_posting_2026"
        );
        // Payment counts from the approval, under the rule of the approval's date.
        let dl = deadline_in(
            &[rec(PlanApproved, d(2025, 12, 31))],
            &rec(RecoveryDecision, d(2026, 1, 5)),
            ag,
        )
        .unwrap();
        assert_eq!((dl.stage, dl.due_on), (Paid, d(2026, 1, 30)));
        assert_eq!(dl.rule.code, "payment_after_approval");
    }

    #[test]
    fn persuasion_then_compulsory_inventory() {
        assert_eq!(
            compulsory_inventory_from(d(2025, 3, 1)),
            (d(2025, 3, 16), d(2025, 3, 26))
        );
    }

    #[test]
    fn land_kinds() {
        assert_eq!(LandKind::of("LUC"), LandKind::Agricultural);
        assert_eq!(LandKind::of("ONT"), LandKind::NonAgricultural);
        assert_eq!(
            LandKind::strictest([LandKind::Agricultural, LandKind::NonAgricultural]),
            LandKind::NonAgricultural
        );
        assert_eq!(next_stage(&[Briefing, Notice]), Some(Inventory));
    }

    #[test]
    fn the_notice_follows_the_group_of_the_land_type_table() {
        use crate::domain::land_types::TABLE;
        for row in TABLE {
            let want = if row.group == LandGroup::Agricultural {
                LandKind::Agricultural
            } else {
                LandKind::NonAgricultural
            };
            assert_eq!(LandKind::of(row.code.as_str()), want, "{}", row.code);
        }
        // Codes the old short list did not know: concentrated livestock (new in 2024) and
        // other annual crops are agricultural; unused land takes the "other land" notice.
        assert_eq!(LandKind::of("CNT"), LandKind::Agricultural);
        assert_eq!(LandKind::of("HNK"), LandKind::Agricultural);
        assert_eq!(LandKind::of("BCS"), LandKind::NonAgricultural);
        // An old code counts as its current one; case does not matter; unknown is strict.
        assert_eq!(LandKind::of("bhk"), LandKind::Agricultural);
        assert_eq!(LandKind::of("LUX"), LandKind::NonAgricultural);
        let notice = d(2025, 3, 1);
        assert_eq!(
            decision_allowed_from(LandKind::of("CNT"), notice),
            decision_allowed_from(LandKind::Agricultural, notice)
        );
        assert!(
            decision_allowed_from(LandKind::of("CNT"), notice)
                < decision_allowed_from(LandKind::of("MCS"), notice)
        );
    }

    fn arb_event() -> impl Strategy<Value = Recorded> {
        (
            0..CaseStage::ALL.len(),
            proptest::option::of(1..3i32),
            0..400i64,
        )
            .prop_map(|(i, parcel_id, day)| Recorded {
                stage: CaseStage::ALL[i],
                parcel_id,
                occurred_on: d(2024, 1, 1) + chrono::Duration::days(day),
            })
    }

    proptest! {
        /// Whatever is recorded, an accepted stage always has its prerequisite recorded for
        /// the same household/parcel on or before its date.
        #[test]
        fn no_order_violation_is_accepted(events in proptest::collection::vec(arb_event(), 1..30)) {
            let mut history: Vec<Recorded> = Vec::new();
            for e in events {
                if check_stage(&history, &e, LandKind::Agricultural).is_ok() {
                    if let Some(needs) = prerequisite(e.stage) {
                        prop_assert!(history.iter().any(|h| h.stage == needs
                            && h.applies_to(e.parcel_id)
                            && h.occurred_on <= e.occurred_on),
                            "{:?} accepted without {:?}", e, needs);
                    }
                    if !repeatable(e.stage) {
                        prop_assert!(!history.iter().any(|h| h.stage == e.stage && h.parcel_id == e.parcel_id));
                    }
                    history.push(e);
                }
            }
        }

        /// Across the change of 1 Jan 2026: a decision is refused exactly when it comes before
        /// the minimum in force on the notice's date, and the refusal names that version.
        #[test]
        fn the_notice_minimum_follows_the_notice_date(
            notice_day in 0..730i64,
            gap in 0..200i64,
            non_agricultural: bool,
        ) {
            let land = if non_agricultural { LandKind::NonAgricultural } else { LandKind::Agricultural };
            let notice = d(2025, 1, 1) + chrono::Duration::days(notice_day);
            let hist = approved(story(notice, notice + chrono::Duration::days(2)));
            let decided = (notice + chrono::Duration::days(gap)).max(hist[4].occurred_on);
            let min = match (land, notice < d(2026, 1, 1)) {
                (LandKind::Agricultural, true) => 90,
                (LandKind::Agricultural, false) => 60,
                (LandKind::NonAgricultural, true) => 180,
                (LandKind::NonAgricultural, false) => 120,
            };
            let r = check_stage(&hist, &rec(RecoveryDecision, decided), land);
            if (decided - notice).num_days() < min {
                let err = r.unwrap_err();
                prop_assert_eq!(err.code(), "stage_too_early");
                prop_assert!(err.rule().is_in_force(notice));
                prop_assert_eq!(err.rule().days(), min);
            } else {
                prop_assert_eq!(r, Ok(()));
            }
        }

        /// Recording the legal order with any gaps of at least the minimum periods is accepted.
        #[test]
        fn the_legal_order_with_any_gaps_is_accepted(gaps in proptest::collection::vec(0..60i64, 8)) {
            let mut on = d(2024, 1, 1);
            let mut history = Vec::new();
            for (i, stage) in ORDER[..8].iter().enumerate() {
                let min = match stage { RecoveryDecision => 90, PlanApproved => 30, _ => 0 };
                on += chrono::Duration::days(gaps[i].max(min));
                let e = rec(*stage, on);
                if *stage == RecoveryDecision {
                    // Must stay within the notice's 12 months.
                    let notice = history.iter().find(|h: &&Recorded| h.stage == Notice).map(|h| h.occurred_on).unwrap();
                    prop_assume!(on <= notice_lapses_on(notice));
                    let min_ok = notice + chrono::Duration::days(90);
                    prop_assume!(on >= min_ok);
                }
                prop_assert_eq!(check_stage(&history, &e, LandKind::Agricultural), Ok(()));
                history.push(e);
            }
        }
    }
}
