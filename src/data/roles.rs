//! Column roles: which columns are the row id, the split, predictors, targets or ignored.

use serde::Deserialize;

/// Column roles as written in a sidecar file or on the command line. Names may be
/// globs with `*` (any run of characters) and `?` (one character).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoleSpec {
    pub id: Option<String>,
    pub split: Option<String>,
    pub predictors: Vec<String>,
    pub targets: Vec<String>,
    pub ignore: Vec<String>,
}

impl RoleSpec {
    /// Overrides every role that `other` sets.
    pub fn override_with(&mut self, other: RoleSpec) {
        if other.id.is_some() {
            self.id = other.id;
        }
        if other.split.is_some() {
            self.split = other.split;
        }
        if !other.predictors.is_empty() {
            self.predictors = other.predictors;
        }
        if !other.targets.is_empty() {
            self.targets = other.targets;
        }
        if !other.ignore.is_empty() {
            self.ignore = other.ignore;
        }
    }
}

/// Column indices by role, each list in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRoles {
    pub id: Option<usize>,
    pub split: Option<usize>,
    pub predictors: Vec<usize>,
    pub targets: Vec<usize>,
    pub ignored: Vec<usize>,
    /// Unassigned columns with no numeric cell, which cannot be predictors.
    pub text: Vec<usize>,
}

/// Column names that mark a train/test split when no split column is named.
const SPLIT_COLUMN_NAMES: [&str; 2] = ["set", "split"];

/// The split column value that turns off the split column, even one found by name.
pub const NO_SPLIT_COLUMN: &str = "none";

/// Assigns a role to each column of `header`.
///
/// `is_text(i)` returns whether column `i` has no numeric cell; such columns are left out
/// of the default predictors instead of failing the load.
pub fn resolve(
    header: &[String],
    spec: &RoleSpec,
    is_text: impl Fn(usize) -> bool,
) -> Result<ColumnRoles, String> {
    if spec.targets.is_empty() {
        return Err("no target columns named; pass --targets NAME[,NAME…] (globs such as \
                    'inst2_*' work) or write them in a sidecar file next to the CSV"
            .to_string());
    }
    let id = spec.id.as_deref().map(|name| find_exact(header, name, "--id")).transpose()?;
    let split = match spec.split.as_deref() {
        Some(NO_SPLIT_COLUMN) => None,
        Some(name) => Some(find_exact(header, name, "--split-column")?),
        None => header.iter().position(|h| SPLIT_COLUMN_NAMES.contains(&h.as_str())),
    };
    let reserved = |i: usize| Some(i) == id || Some(i) == split;

    let targets: Vec<usize> = match_patterns(header, &spec.targets, "target")?
        .into_iter()
        .filter(|&i| !reserved(i))
        .collect();
    if targets.is_empty() {
        return Err("the target patterns match only the id or split column".into());
    }
    let ignored = match_patterns(header, &spec.ignore, "ignored")?;
    if let Some(&i) = targets.iter().find(|i| ignored.contains(i)) {
        return Err(format!("column {:?} is both a target and ignored; pick one role", header[i]));
    }

    let mut text = Vec::new();
    let predictors: Vec<usize> = if spec.predictors.is_empty() {
        let mut chosen = Vec::new();
        for i in 0..header.len() {
            if reserved(i) || targets.contains(&i) || ignored.contains(&i) {
                continue;
            }
            if is_text(i) {
                text.push(i);
            } else {
                chosen.push(i);
            }
        }
        chosen
    } else {
        let matched = match_patterns(header, &spec.predictors, "predictor")?;
        if let Some(&i) = matched.iter().find(|i| targets.contains(i)) {
            return Err(format!(
                "column {:?} is both a predictor and a target; pick one role",
                header[i]
            ));
        }
        matched.into_iter().filter(|&i| !reserved(i) && !ignored.contains(&i)).collect()
    };
    if predictors.is_empty() {
        return Err("no predictor columns left after removing the id, split, target and \
                    ignored columns; name them with --predictors"
            .into());
    }

    // Columns that were given no role are ignored.
    let mut all_ignored = ignored;
    for i in 0..header.len() {
        let assigned = reserved(i) || targets.contains(&i) || predictors.contains(&i);
        if !assigned && !all_ignored.contains(&i) && !text.contains(&i) {
            all_ignored.push(i);
        }
    }
    all_ignored.sort_unstable();
    Ok(ColumnRoles { id, split, predictors, targets, ignored: all_ignored, text })
}

fn find_exact(header: &[String], name: &str, flag: &str) -> Result<usize, String> {
    header.iter().position(|h| h == name).ok_or_else(|| {
        format!("column {name:?} (from {flag} or the sidecar) not found{}", suggest(header, name))
    })
}

/// Returns the indices of every column that matches one of `patterns`, in file order.
fn match_patterns(
    header: &[String],
    patterns: &[String],
    role: &str,
) -> Result<Vec<usize>, String> {
    let mut matched = vec![false; header.len()];
    for pattern in patterns {
        let mut any = false;
        for (i, name) in header.iter().enumerate() {
            if glob_match(pattern, name) {
                matched[i] = true;
                any = true;
            }
        }
        if !any {
            return Err(format!(
                "{role} column pattern {pattern:?} matches no column{}",
                suggest(header, pattern)
            ));
        }
    }
    Ok(matched.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i).collect())
}

/// Returns true if and only if `name` matches `pattern`, where `*` matches any run of
/// characters and `?` exactly one.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Iterative matching with backtracking to the last star: O(len(pattern) · len(name)).
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Formats up to three column names close to `wanted`, for an error message.
fn suggest(header: &[String], wanted: &str) -> String {
    let bare: String = wanted.chars().filter(|c| *c != '*' && *c != '?').collect();
    let mut scored: Vec<(f64, &String)> = header
        .iter()
        .map(|h| (strsim::jaro_winkler(&bare.to_lowercase(), &h.to_lowercase()), h))
        .filter(|(score, _)| *score > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    if scored.is_empty() {
        let preview: Vec<&str> = header.iter().take(5).map(String::as_str).collect();
        return format!("; the file's columns start with {}", preview.join(", "));
    }
    let names: Vec<String> = scored.iter().take(3).map(|(_, h)| format!("{h:?}")).collect();
    format!("; did you mean {}?", names.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn spec(targets: &[&str]) -> RoleSpec {
        RoleSpec { targets: targets.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn glob_cases() {
        assert!(glob_match("inst2_*", "inst2_1100"));
        assert!(!glob_match("inst2_*", "inst1_1100"));
        assert!(glob_match("x_00?", "x_001"));
        assert!(!glob_match("x_00?", "x_0010"));
        assert!(glob_match("*fat*", "fat"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("water", "water"));
        assert!(!glob_match("water", "waters"));
    }

    #[test]
    fn default_predictors_exclude_other_roles() {
        let h = header(&["sample", "set", "x1", "x2", "label", "y"]);
        let spec = RoleSpec { id: Some("sample".into()), ..spec(&["y"]) };
        let roles = resolve(&h, &spec, |i| i == 4).unwrap();
        assert_eq!(roles.split, Some(1));
        assert_eq!(roles.predictors, vec![2, 3]);
        assert_eq!(roles.targets, vec![5]);
        assert_eq!(roles.text, vec![4]);
    }

    #[test]
    fn missing_targets_explains_how_to_name_them() {
        let message = resolve(&header(&["a", "b"]), &RoleSpec::default(), |_| false).unwrap_err();
        assert!(message.contains("--targets"), "{message}");
    }

    #[test]
    fn unmatched_pattern_suggests_close_name() {
        let message =
            resolve(&header(&["x1", "protein"]), &spec(&["protien"]), |_| false).unwrap_err();
        assert!(message.contains("\"protien\" matches no column"), "{message}");
        assert!(message.contains("did you mean \"protein\""), "{message}");
    }

    #[test]
    fn override_replaces_only_given_roles() {
        let mut base = RoleSpec { id: Some("sample".into()), ..spec(&["y"]) };
        base.override_with(spec(&["z"]));
        assert_eq!(base.id.as_deref(), Some("sample"));
        assert_eq!(base.targets, vec!["z".to_string()]);
    }
}
