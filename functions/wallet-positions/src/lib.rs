//! The handler as a library, so that `functions/mcp` answers its tool with this very handler
//! (the same validation, the same numbers). The Lambda binary is `main.rs`.

pub mod http_handler;
