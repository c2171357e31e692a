//! History: what each change of a document did, and the commit messages that say what
//! made it (`edit`, `import:<group>`, `bulk:<group>`, `revert:<group>:<target>`,
//! `resolve`, `restore:<time>`, `schema`).

use crate::GroupId;

/// The change group a commit message names, if any.
pub(crate) fn group_of(message: &str) -> Option<GroupId> {
    let mut parts = message.split(':');
    match parts.next()? {
        "import" | "bulk" | "revert" | "automation" => parts.next()?.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_come_from_group_messages_only() {
        let g = GroupId::new();
        assert_eq!(group_of(&format!("import:{g}")), Some(g));
        assert_eq!(group_of(&format!("revert:{g}:abc")), Some(g));
        assert_eq!(group_of("edit"), None);
        assert_eq!(group_of("import:nonsense"), None);
    }
}
