//! A report written to a folder: `index.html` with its figures inline, and, when any run has
//! results, each figure as an SVG file beside it (`new-infections.svg`, ...).

use std::path::{Path, PathBuf};

use crate::error::WriteError;
use crate::model::JobReport;

/// The files a report was written to.
#[derive(Clone, Debug)]
pub struct WrittenReport {
    pub html: PathBuf,
    pub figures: Vec<PathBuf>,
}

impl JobReport {
    /// Writes the page and its figures into `folder`, creating it if needed.
    pub fn write_to(&self, folder: &Path) -> Result<WrittenReport, WriteError> {
        std::fs::create_dir_all(folder).map_err(|source| WriteError {
            path: folder.to_owned(),
            source,
        })?;
        let mut figures = Vec::new();
        if self.plotted_runs() > 0 {
            for figure in self.figures() {
                let path = folder.join(&figure.file);
                let document = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
                    figure.svg
                );
                write(&path, document.as_bytes())?;
                figures.push(path);
            }
        }
        let html = folder.join("index.html");
        write(&html, self.html().as_bytes())?;
        Ok(WrittenReport { html, figures })
    }
}

fn write(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    std::fs::write(path, contents).map_err(|source| WriteError {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use crate::sample::report;

    #[test]
    fn the_page_and_each_figure_are_files_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("report-7");
        let report = report();
        let written = report.write_to(&folder).unwrap();
        assert_eq!(written.html, folder.join("index.html"));
        assert_eq!(
            std::fs::read_to_string(&written.html).unwrap(),
            report.html()
        );
        assert_eq!(written.figures.len(), 2);
        let svg = std::fs::read_to_string(folder.join("new-infections.svg")).unwrap();
        assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
    }

    #[test]
    fn a_report_without_results_writes_the_page_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = report();
        report.configs[0].curves.clear();
        let written = report.write_to(dir.path()).unwrap();
        assert!(written.figures.is_empty());
        assert!(
            std::fs::read_to_string(&written.html)
                .unwrap()
                .contains("there is nothing to plot")
        );
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("taken");
        std::fs::write(&file, "").unwrap();
        let error = report().write_to(&file.join("report")).unwrap_err();
        assert!(error.to_string().contains("taken"), "{error}");
    }
}
