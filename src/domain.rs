//! The closed vocabularies of the domain, each in one place: the API, the database and the UI
//! all read them from here (SPEC.md pins the names).
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod id_number;

macro_rules! vocabulary {
    // `tt`, not `literal`: a literal fragment reaches derive macros wrapped in an invisible
    // group, which utoipa then ignores, documenting `HomeVisit` where the API sends `home_visit`.
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name { $(#[serde(rename = $text)] #[sea_orm(string_value = $text)] $variant),+ }

        impl $name {
            /// Every value, in the order the domain gives them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                Self::parse(s).ok_or(UnknownValue { vocabulary: stringify!($name) })
            }
        }
    };
}

/// A text that is not a value of the named vocabulary.
#[derive(Debug, thiserror::Error)]
#[error("not a value of {vocabulary}")]
pub struct UnknownValue {
    pub vocabulary: &'static str,
}

vocabulary! {
    /// What the map colours, in the order a parcel normally moves; `objecting` and
    /// `in_complaint` stand beside that order.
    ParcelStatus {
        NotContacted = "not_contacted",
        Contacted = "contacted",
        Negotiating = "negotiating",
        Agreed = "agreed",
        Paid = "paid",
        HandedOver = "handed_over",
        Objecting = "objecting",
        InComplaint = "in_complaint",
    }
}

vocabulary! {
    /// A household's position after a visit.
    Stance {
        Agrees = "agrees",
        Considering = "considering",
        Disagrees = "disagrees",
        RefusesContact = "refuses_contact",
    }
}

vocabulary! {
    VisitKind {
        HomeVisit = "home_visit",
        GroupMeeting = "group_meeting",
        Dialogue = "dialogue",
        Phone = "phone",
    }
}

vocabulary! {
    Topic {
        CompensationPrice = "compensation_price",
        Resettlement = "resettlement",
        Livelihood = "livelihood",
        Graves = "graves",
        LandOrigin = "land_origin",
        Procedure = "procedure",
        Other = "other",
    }
}

vocabulary! {
    /// Who a user is; what each may do is `Role::may` below.
    Role {
        Admin = "admin",
        Leader = "leader",
        DistrictLeader = "district_leader",
        Member = "member",
        ProjectBoard = "project_board",
    }
}

vocabulary! {
    /// Case stages per household, in legal order (LEGAL.md); `enforcement` is the last resort.
    CaseStage {
        Briefing = "briefing",
        Notice = "notice",
        Inventory = "inventory",
        PlanPosted = "plan_posted",
        PlanApproved = "plan_approved",
        RecoveryDecision = "recovery_decision",
        Paid = "paid",
        HandedOver = "handed_over",
        Resettled = "resettled",
        Enforcement = "enforcement",
    }
}

// The land-type codes, their names and groups: one table (`land_types::TABLE`).
pub mod land_types;
pub use land_types::{LandGroup, LandType, LandUse};

vocabulary! {
    /// Where a grievance stands; `received` and `accepted` are the open ones.
    GrievanceStatus {
        Received = "received",
        Accepted = "accepted",
        Resolved = "resolved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
}

impl GrievanceStatus {
    /// The statuses of a grievance still waiting for a decision.
    pub const OPEN: &'static [GrievanceStatus] =
        &[GrievanceStatus::Received, GrievanceStatus::Accepted];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

vocabulary! {
    /// How a grievance arrived.
    Channel {
        Direct = "direct",
        Mail = "mail",
        CitizenReception = "citizen_reception",
        Meeting = "meeting",
        Phone = "phone",
        Online = "online",
        Forwarded = "forwarded",
    }
}

vocabulary! {
    /// What a grievance is: `complaint` (khiếu nại), `denunciation` (tố cáo), `petition`
    /// (kiến nghị) or `feedback` (phản ánh); each has its own legal deadlines.
    GrievanceKind {
        Complaint = "complaint",
        Denunciation = "denunciation",
        Petition = "petition",
        Feedback = "feedback",
    }
}

vocabulary! {
    /// The alert kinds, in the order the list shows them (most pressing first).
    AlertKind {
        HotSpot = "hot_spot",
        GrievanceOverdue = "grievance_overdue",
        StageOverdue = "stage_overdue",
        PaymentDue = "payment_due",
        SplitAfterCutoff = "split_after_cutoff",
        LandUseChangeAfterCutoff = "land_use_change_after_cutoff",
        CommitmentOverdue = "commitment_overdue",
        GrievanceDue = "grievance_due",
        NotVisited = "not_visited",
    }
}

vocabulary! {
    /// How a household holds a parcel.
    HoldingRole {
        Owner = "owner",
        CoUser = "co_user",
    }
}

vocabulary! {
    /// Whether a project still takes writes: a closed project is read-only (409 `project_closed`).
    ProjectStatus {
        Active = "active",
        Closed = "closed",
    }
}

vocabulary! {
    /// What an API token may do.
    TokenAccess {
        Read = "read",
        Write = "write",
    }
}

vocabulary! {
    /// What an inventory (kiểm đếm) line counts, and what a price-table row prices.
    AssetCategory {
        Land = "land",
        Structure = "structure",
        Crop = "crop",
        Tree = "tree",
        Grave = "grave",
        Livestock = "livestock",
        Moving = "moving",
        Investment = "investment",
        Other = "other",
    }
}

vocabulary! {
    /// The groups of a compensation plan's lines, in the order the plan prints them
    /// (Decree 88/2024 Art. 3(2)).
    PlanGroup {
        Land = "land",
        Assets = "assets",
        Moving = "moving",
        Investment = "investment",
        Support = "support",
        Resettlement = "resettlement",
        Deduction = "deduction",
    }
}

vocabulary! {
    /// Where a compensation plan version stands: a draft is recomputed at will; a posted one
    /// is open to the household's opinions; an approved one is what is paid; a superseded one
    /// was replaced by a revision.
    PlanStatus {
        Draft = "draft",
        Posted = "posted",
        Approved = "approved",
        Superseded = "superseded",
    }
}

vocabulary! {
    /// Money handed to the household, or deposited at a bank when it refuses or disputes it
    /// (LĐĐ 2024 Art. 94(4)).
    PaymentKind {
        Payment = "payment",
        Deposit = "deposit",
    }
}

vocabulary! {
    /// How a payment was made.
    PaymentMethod {
        Cash = "cash",
        Transfer = "transfer",
        Deposit = "deposit",
    }
}

vocabulary! {
    /// What a household was told about the processing of its personal data (Law 91/2025/QH15
    /// on personal data protection): why, what is collected, its rights, who receives it and
    /// how long it is kept.
    NoticeKind {
        Purpose = "purpose",
        DataCollected = "data_collected",
        Rights = "rights",
        Recipients = "recipients",
        Retention = "retention",
    }
}

vocabulary! {
    /// How a household was told.
    NoticeMethod {
        InPerson = "in_person",
        WrittenSigned = "written_signed",
        Meeting = "meeting",
        Phone = "phone",
    }
}

vocabulary! {
    /// What a data subject asks of the controller (Law 91/2025/QH15): to see everything held,
    /// to correct it, to restrict its processing, to delete it, or to object to it.
    PrivacyRequestKind {
        Access = "access",
        Correction = "correction",
        Restriction = "restriction",
        Deletion = "deletion",
        Objection = "objection",
    }
}

vocabulary! {
    /// Where a data-subject request stands: `received`, `acknowledged` and `extended` are open.
    PrivacyRequestStatus {
        Received = "received",
        Acknowledged = "acknowledged",
        Extended = "extended",
        Completed = "completed",
        Rejected = "rejected",
    }
}

impl PrivacyRequestStatus {
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PrivacyRequestStatus::Received
                | PrivacyRequestStatus::Acknowledged
                | PrivacyRequestStatus::Extended
        )
    }
}

vocabulary! {
    /// How a completed request ended: done as asked, or refused with its legal reason (land-
    /// recovery records must be kept, so a deletion is often refused).
    PrivacyOutcome {
        Done = "done",
        Refused = "refused",
    }
}

vocabulary! {
    /// Kinds of personal data a breach touched.
    BreachDataKind {
        Identity = "identity",
        Contact = "contact",
        IdNumber = "id_number",
        Land = "land",
        Compensation = "compensation",
        Sensitive = "sensitive",
        Other = "other",
    }
}

/// Things a principal may do; one table answers for every role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Names, phones, addresses of households, their vulnerable flags (poor household, ethnic
    /// minority… — sensitive data) and their CCCD: masked in every list and export, in full
    /// on an audited reveal. Project boards never have it.
    ReadPersonal,
    /// Log and edit visits.
    WriteVisits,
    /// Change a parcel's status or attributes, add parcels.
    WriteParcels,
    /// Compute, post and approve compensation plans; record payments and deposits.
    WriteCompensation,
    /// Create projects, working groups, users, tokens.
    Administer,
    /// Handle data-subject requests (access, correction, restriction, deletion, objection) of
    /// households in the caller's area, and read their full exports.
    ManagePrivacy,
}

impl Role {
    /// Whether a user of this role may do `p` (area scoping is applied separately, in queries).
    pub fn may(self, p: Permission) -> bool {
        use Permission::{
            ManagePrivacy, ReadPersonal, WriteCompensation, WriteParcels, WriteVisits,
        };
        match self {
            Role::Admin => true,
            Role::Leader => matches!(p, ReadPersonal),
            // The district (now commune) office prepares plans and pays; members count assets.
            Role::DistrictLeader => {
                matches!(
                    p,
                    ReadPersonal | WriteVisits | WriteParcels | WriteCompensation | ManagePrivacy
                )
            }
            Role::Member => matches!(p, ReadPersonal | WriteVisits | WriteParcels),
            // Project boards pull progress and push payment/handover; no personal data.
            Role::ProjectBoard => matches!(p, WriteParcels),
        }
    }

    /// Roles whose every read is limited to their working groups' areas.
    pub fn is_area_scoped(self) -> bool {
        matches!(self, Role::DistrictLeader | Role::Member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip_through_text() {
        for s in ParcelStatus::ALL {
            assert_eq!(ParcelStatus::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(LandUse::parse("LUC"), Some(LandUse::Luc));
        assert_eq!(LandUse::parse("luc"), None);
    }

    #[test]
    fn project_board_never_reads_personal_data() {
        assert!(!Role::ProjectBoard.may(Permission::ReadPersonal));
        assert!(!Role::Leader.may(Permission::WriteVisits));
        assert!(Role::Member.may(Permission::WriteVisits));
        assert!(Role::Member.is_area_scoped() && !Role::Leader.is_area_scoped());
    }
}
