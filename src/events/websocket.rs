//! `websocket` events: routes of an API Gateway WebSocket API.

use serde_json::Value;

use crate::error::KeyPath;
use crate::manifest::checker::{show, Checker};

#[derive(Debug, Clone)]
pub struct Websocket {
    pub route: String,
    pub route_response_selection_expression: Option<String>,
    pub key_path: KeyPath,
}

pub fn parse(v: &Value, path: &KeyPath, c: &mut Checker) -> Option<Websocket> {
    let (route, rrse) = match v {
        Value::String(r) => (r.clone(), None),
        Value::Object(m) => {
            c.unknown_keys(
                m,
                &["route", "routeResponseSelectionExpression", "authorizer"],
                path,
            );
            let Some(r) = c.opt_string(m, "route", path) else {
                c.error(
                    &path.key("route"),
                    "websocket event has no `route`",
                    "add `route: $connect`, `$disconnect`, `$default` or an action name",
                );
                return None;
            };
            (r, c.opt_string(m, "routeResponseSelectionExpression", path))
        }
        other => {
            c.error(
                path,
                format!(
                    "a websocket event must be a route or a map, not {}",
                    show(other)
                ),
                "write `websocket: $connect`",
            );
            return None;
        }
    };
    if route.is_empty()
        || (route.starts_with('$')
            && !["$connect", "$disconnect", "$default"].contains(&route.as_str()))
    {
        c.error(
            path,
            format!("`{route}` is not a websocket route"),
            "the special routes are $connect, $disconnect and $default; others are action names",
        );
        return None;
    }
    Some(Websocket {
        route,
        route_response_selection_expression: rrse,
        key_path: path.clone(),
    })
}
