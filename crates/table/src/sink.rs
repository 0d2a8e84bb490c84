//! Where rows go: a CSV writer, or Parquet columns buffered a row group at a time (so memory is
//! bounded by one row group, whatever the ensemble's size).

use std::fs::File;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use crate::TableFormat;
use crate::columns::{Column, Kind, Value};
use crate::error::TableError;

/// Rows per Parquet row group: large enough for good compression and fast scans, small
/// enough to hold in memory (a few tens of MB for FRED's columns).
const ROW_GROUP_ROWS: usize = 65_536;

pub(crate) enum Sink {
    Csv(Box<csv::Writer<File>>),
    Parquet(Box<ParquetSink>),
}

impl Sink {
    pub(crate) fn new(
        format: TableFormat,
        file: File,
        columns: &[Column],
    ) -> Result<Sink, TableError> {
        Ok(match format {
            TableFormat::Csv => {
                let mut writer = csv::Writer::from_writer(file);
                writer.write_record(columns.iter().map(|c| c.name.as_str()))?;
                Sink::Csv(Box::new(writer))
            }
            TableFormat::Parquet => Sink::Parquet(Box::new(ParquetSink::new(file, columns)?)),
        })
    }

    pub(crate) fn push(&mut self, row: Vec<Value>) -> Result<(), TableError> {
        match self {
            Sink::Csv(writer) => {
                writer.write_record(row.iter().map(|value| match value {
                    Value::Int(v) => v.to_string(),
                    Value::UInt(v) => v.to_string(),
                    Value::Double(v) => v.to_string(),
                    Value::Text(v) => v.clone(),
                    Value::Null => String::new(),
                }))?;
                Ok(())
            }
            Sink::Parquet(sink) => sink.push(row),
        }
    }

    pub(crate) fn finish(self) -> Result<(), TableError> {
        match self {
            Sink::Csv(mut writer) => {
                writer.flush().map_err(csv::Error::from)?;
                Ok(())
            }
            Sink::Parquet(sink) => sink.finish(),
        }
    }
}

/// One column's values of the row group being filled, and its definition levels (0 for a null
/// of a nullable column).
struct Buffer {
    values: Values,
    nullable: bool,
    defs: Vec<i16>,
}

enum Values {
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Double(Vec<f64>),
    Text(Vec<ByteArray>),
}

pub(crate) struct ParquetSink {
    writer: SerializedFileWriter<File>,
    buffers: Vec<Buffer>,
    rows: usize,
}

impl ParquetSink {
    fn new(file: File, columns: &[Column]) -> Result<ParquetSink, TableError> {
        let fields = columns
            .iter()
            .map(|column| {
                let (physical, logical) = match column.kind {
                    Kind::Int32 => (Physical::INT32, None),
                    Kind::Int64 => (Physical::INT64, None),
                    Kind::UInt64 => (Physical::INT64, Some(LogicalType::integer(64, false))),
                    Kind::Double => (Physical::DOUBLE, None),
                    Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                };
                let repetition = if column.nullable {
                    Repetition::OPTIONAL
                } else {
                    Repetition::REQUIRED
                };
                Type::primitive_type_builder(&column.name, physical)
                    .with_repetition(repetition)
                    .with_logical_type(logical)
                    .build()
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let schema = Type::group_type_builder("fredbatch_results")
            .with_fields(fields)
            .build()?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(properties))?;
        let buffers = columns
            .iter()
            .map(|column| Buffer {
                values: match column.kind {
                    Kind::Int32 => Values::Int32(Vec::new()),
                    Kind::Int64 | Kind::UInt64 => Values::Int64(Vec::new()),
                    Kind::Double => Values::Double(Vec::new()),
                    Kind::Text => Values::Text(Vec::new()),
                },
                nullable: column.nullable,
                defs: Vec::new(),
            })
            .collect();
        Ok(ParquetSink {
            writer,
            buffers,
            rows: 0,
        })
    }

    fn push(&mut self, row: Vec<Value>) -> Result<(), TableError> {
        for (buffer, value) in self.buffers.iter_mut().zip(row) {
            let present = !matches!(value, Value::Null);
            match (&mut buffer.values, value) {
                (_, Value::Null) => {}
                (Values::Int32(values), Value::Int(v)) => {
                    values.push(i32::try_from(v).unwrap_or(i32::MAX))
                }
                (Values::Int64(values), Value::Int(v)) => values.push(v),
                // Stored as the same 64 bits, read back unsigned by the column's logical type.
                (Values::Int64(values), Value::UInt(v)) => values.push(v as i64),
                (Values::Double(values), Value::Double(v)) => values.push(v),
                (Values::Text(values), Value::Text(v)) => {
                    values.push(ByteArray::from(v.into_bytes()))
                }
                (_, other) => unreachable!("a value of the wrong kind for its column: {other:?}"),
            }
            if buffer.nullable {
                buffer.defs.push(i16::from(present));
            }
        }
        self.rows += 1;
        if self.rows == ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), TableError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        for buffer in &mut self.buffers {
            let mut column = group
                .next_column()?
                .expect("a column writer for every buffer");
            let defs = buffer.nullable.then_some(buffer.defs.as_slice());
            match &mut buffer.values {
                Values::Int32(values) => {
                    column
                        .typed::<Int32Type>()
                        .write_batch(values, defs, None)?;
                    values.clear();
                }
                Values::Int64(values) => {
                    column
                        .typed::<Int64Type>()
                        .write_batch(values, defs, None)?;
                    values.clear();
                }
                Values::Double(values) => {
                    column
                        .typed::<DoubleType>()
                        .write_batch(values, defs, None)?;
                    values.clear();
                }
                Values::Text(values) => {
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(values, defs, None)?;
                    values.clear();
                }
            }
            buffer.defs.clear();
            column.close()?;
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }

    fn finish(mut self) -> Result<(), TableError> {
        self.flush()?;
        self.writer.close()?;
        Ok(())
    }
}
