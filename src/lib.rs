//! gpmb: land-clearance mobilisation case tracker. `app` is the composition root; each
//! resource lives in its own module with its routes, handlers, queries and DTOs.
pub mod admin_units;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod extract;
pub mod geo;
pub mod households;
pub mod i18n;
pub mod metrics;
pub mod pagination;
pub mod parcels;
pub mod progress;
pub mod projects;
pub mod sql;
pub mod text;
pub mod visits;
pub mod web;
pub mod working_groups;
