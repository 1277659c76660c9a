use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{
    BreachDataKind, Channel, NoticeKind, NoticeMethod, PrivacyOutcome, PrivacyRequestKind,
    PrivacyRequestStatus,
};
use crate::legal::RuleDto;

// ---- notices --------------------------------------------------------------------------------

/// What a household was told about the processing of its personal data, when, by whom and how.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: i32,
    pub household_id: i32,
    /// What the household was told (purpose, data collected, rights, recipients, retention).
    pub kinds: Vec<NoticeKind>,
    pub method: NoticeMethod,
    pub notified_on: NaiveDate,
    /// The user who told the household.
    pub notified_by: Option<i32>,
    pub notified_by_name: Option<String>,
    /// The signed notice's or the meeting minutes' reference.
    pub document_ref: Option<String>,
    pub note: Option<String>,
    /// The household withdrew its consent (or objected) on this day.
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_note: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNotice {
    /// At least one.
    pub kinds: Vec<NoticeKind>,
    pub method: NoticeMethod,
    /// Not in the future.
    pub notified_on: NaiveDate,
    /// The user who told the household; the caller when absent.
    pub notified_by: Option<i32>,
    pub document_ref: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeWithdrawal {
    /// Not before the notice, not in the future.
    pub withdrawn_on: NaiveDate,
    pub note: Option<String>,
}

// ---- data-subject requests ---------------------------------------------------------------------

/// The next step a request waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStep {
    Acknowledge,
    Complete,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PrivacyRequestDto {
    pub id: i32,
    /// The project's code.
    pub project: String,
    pub household_id: i32,
    pub household_code: String,
    pub household_name: String,
    pub kind: PrivacyRequestKind,
    /// `received`, `acknowledged` and `extended` are open.
    pub status: PrivacyRequestStatus,
    pub received_on: NaiveDate,
    pub channel: Channel,
    pub requester_name: String,
    pub details: String,
    /// Acknowledge by (the rule in force on `received_on`); null: no limit.
    pub ack_by: Option<NaiveDate>,
    /// Complete by (after the extension, if any); null: no limit.
    pub due_on: Option<NaiveDate>,
    pub ack_rule: RuleDto,
    pub due_rule: RuleDto,
    pub extension_rule: RuleDto,
    pub acknowledged_on: Option<NaiveDate>,
    pub extended_on: Option<NaiveDate>,
    pub extension_reason: Option<String>,
    /// Completed or rejected on.
    pub closed_on: Option<NaiveDate>,
    pub outcome: Option<PrivacyOutcome>,
    pub outcome_note: Option<String>,
    /// Why the request was refused or rejected.
    pub legal_reason: Option<String>,
    /// While open: the step it waits for, its deadline and the days left (negative: overdue).
    pub next_step: Option<RequestStep>,
    pub next_due_on: Option<NaiveDate>,
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrivacyRequest {
    pub household_id: i32,
    pub kind: PrivacyRequestKind,
    /// Not in the future; the deadlines count from it.
    pub received_on: NaiveDate,
    pub channel: Channel,
    /// Who asked (the data subject or the person acting for them).
    pub requester_name: String,
    #[serde(default)]
    pub details: String,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrivacyRequestQuery {
    /// `open` (received, acknowledged, extended), or one status.
    pub status: Option<String>,
    pub kind: Option<PrivacyRequestKind>,
    pub household: Option<i32>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

/// A step of a request: the day it was taken (today when absent) and what it needs.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestStepInput {
    /// The day of the step (today when absent): not before the request, not in the future.
    pub on: Option<NaiveDate>,
    /// Extension: why more time is needed (required).
    pub reason: Option<String>,
    /// Completion: done or refused.
    pub outcome: Option<PrivacyOutcome>,
    /// Completion: what was done (e.g. the export handed over, the fields corrected).
    pub note: Option<String>,
    /// A refusal or a rejection: the legal reason (required), e.g. the records the law
    /// requires to keep.
    pub legal_reason: Option<String>,
}

// ---- breaches ----------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BreachDto {
    pub id: i32,
    pub discovered_at: String,
    pub description: String,
    pub data_kinds: Vec<BreachDataKind>,
    pub households_affected: i32,
    /// `discovered_at` + 72 hours (the rule in force on the day).
    pub report_due_at: String,
    pub rule: RuleDto,
    pub reported_to_authority_at: Option<String>,
    /// Not reported yet and past the limit, or reported after it.
    pub late: bool,
    /// Hours left to report (negative when past); null once reported.
    pub hours_left: Option<i64>,
    pub measures: Option<String>,
    pub closed_at: Option<String>,
    pub recorded_by: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBreach {
    /// RFC 3339, not in the future.
    pub discovered_at: DateTime<FixedOffset>,
    pub description: String,
    /// At least one.
    pub data_kinds: Vec<BreachDataKind>,
    pub households_affected: i32,
    pub reported_to_authority_at: Option<DateTime<FixedOffset>>,
    pub measures: Option<String>,
    pub closed_at: Option<DateTime<FixedOffset>>,
}

/// What changes on a breach: each field given is set.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachPatch {
    pub reported_to_authority_at: Option<DateTime<FixedOffset>>,
    pub measures: Option<String>,
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub households_affected: Option<i32>,
}
