//! Compensation, support and resettlement (issue 17): what a household has (inventory),
//! what the province pays for it (price tables), what the project adds (entitlement settings),
//! what the household is offered (plan versions, line by line) and what it was paid (payments
//! and deposits). `calc` is pure and holds every formula; the other modules read and write.
pub mod calc;
