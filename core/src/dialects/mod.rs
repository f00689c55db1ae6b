//! The four built-in dialects, each a [`crate::ProviderProfile`] value in its own file
//! with fixture tests of the vendor's documented bodies.

pub mod apixo;
pub mod mindproxy;
pub mod mirako;
pub mod queue;
