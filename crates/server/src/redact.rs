//! What the server shows clients of its own text (run reasons, log lines) loses the folders
//! of absolute paths: they tell of the server's disks and installation, and help nobody read
//! their run. `/srv/fredbatch/server/checks/.tmpX/model/a: File exists` becomes
//! `…/a: File exists`; a file named with one component, URLs and relative paths stay whole.

use std::borrow::Cow;

/// `text` with every absolute path of two or more components cut to its last one.
pub fn without_paths(text: &str) -> Cow<'_, str> {
    if !text.contains('/') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(slash) = rest.find('/') {
        let before = &rest[..slash];
        // A path starts a word (or the text), not the middle of one (`3/4`, `http://`).
        let starts_path = before
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || "=(\"'[,<".contains(c));
        out.push_str(before);
        let candidate = &rest[slash..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || "\"',;)]>:".contains(c))
            .unwrap_or(candidate.len());
        let path = &candidate[..end];
        let components: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        if starts_path && components.len() >= 2 {
            out.push_str("…/");
            out.push_str(components[components.len() - 1]);
        } else {
            out.push_str(path);
        }
        // `end` > 0: the slash itself is not a stop character, so every turn moves on.
        rest = &candidate[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::without_paths;

    #[test]
    fn absolute_paths_lose_their_folders_and_nothing_else_changes() {
        assert_eq!(
            without_paths(
                "cannot read or write /srv/fb/server/checks/.tmpAb/model/a: File exists (os error 17)"
            ),
            "cannot read or write …/a: File exists (os error 17)"
        );
        assert_eq!(
            without_paths("INFO attempt started engine=/opt/fred/bin/FRED run=3"),
            "INFO attempt started engine=…/FRED run=3"
        );
        assert_eq!(
            without_paths("engine \"/opt/fred/bin/FRED\" exited"),
            "engine \"…/FRED\" exited"
        );
        for kept in [
            "FRED Error (file main.fred) at line 3",
            "see http://example.org/a/b for more",
            "model/a.fred and ./x/y stay",
            "one component /tmp stays",
            "no slash at all",
            "a ratio 3/4",
        ] {
            assert_eq!(without_paths(kept), kept);
        }
    }
}
