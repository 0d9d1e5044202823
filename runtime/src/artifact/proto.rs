//! Small builders for the ONNX protobuf messages ([`super::onnx`]).
//! tract checks every attribute's `type` field, so the builders always set it.

use super::onnx::{
    AttributeProto, AttributeType, DataType, Dimension, DimensionValue, NodeProto, TensorProto,
    TensorShapeProto, TensorType, TypeProto, ValueInfoProto,
};

pub fn dims_i64(dims: &[usize]) -> Vec<i64> {
    dims.iter().map(|&d| d as i64).collect()
}

/// A float tensor stored as little-endian `raw_data`.
pub fn f32_tensor(name: &str, dims: &[usize], data: &[f32]) -> TensorProto {
    raw_tensor(
        name,
        dims,
        DataType::Float,
        data.iter().flat_map(|x| x.to_le_bytes()).collect(),
    )
}

pub fn raw_tensor(name: &str, dims: &[usize], dtype: DataType, raw_data: Vec<u8>) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims_i64(dims),
        data_type: dtype as i32,
        raw_data,
        ..Default::default()
    }
}

/// An int64 tensor; `dims` empty makes a scalar.
pub fn i64_tensor(name: &str, dims: &[usize], data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims_i64(dims),
        data_type: DataType::Int64 as i32,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

pub fn attr_int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i,
        ..Default::default()
    }
}

pub fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: ints.to_vec(),
        ..Default::default()
    }
}

pub fn attr_string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

pub fn attr_tensor(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Tensor as i32,
        t: Some(t),
        ..Default::default()
    }
}

/// A node; `""` in `inputs`/`outputs` marks an omitted optional one.
pub fn node(
    op: &str,
    inputs: &[&str],
    outputs: &[&str],
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: outputs
            .iter()
            .find(|o| !o.is_empty())
            .unwrap_or(&op)
            .to_string(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute,
        ..Default::default()
    }
}

/// A graph input or output; `Err(name)` is a symbolic dimension.
pub fn value_info(name: &str, dtype: DataType, dims: &[Result<usize, &str>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Ok(v) => DimensionValue::DimValue(*v as i64),
                Err(p) => DimensionValue::DimParam(p.to_string()),
            }),
        })
        .collect();
    let tensor = TensorType {
        elem_type: dtype as i32,
        shape: Some(TensorShapeProto { dim }),
    };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(tensor),
        }),
    }
}
