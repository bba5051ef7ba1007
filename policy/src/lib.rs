pub mod azure_policy;
