using System.Globalization;
using TLDsl.Runtime.Onnx.Proto;

namespace TLDsl.Runtime.Onnx;

/// <summary>
/// Checks a parsed model before any tensor is materialised: every tensor (initializers, sparse initializers, tensors in
/// node attributes, and all of these inside subgraphs) has non-negative dimensions whose product stays within the
/// limit, and data of exactly the size its dimensions promise, either inline or in an external file inside the
/// model's folder.
/// </summary>
internal static class OnnxModelValidator
{
    public static void Validate(ModelProto model, string filePath, OnnxReadOptions options)
    {
        if (model.Graph is null)
        {
            throw new OnnxFormatException(filePath, "not an ONNX model: it contains no graph (field 7 of ModelProto)");
        }

        if (model.IrVersion <= 0)
        {
            throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                $"not an ONNX model: the IR version is {model.IrVersion}"));
        }

        if (model.IrVersion >= 3 && model.OpsetImport.Count == 0)
        {
            throw new OnnxFormatException(filePath, "not a complete ONNX model: it imports no operator set (opset_import)");
        }

        ValidateGraph(model.Graph, filePath, options, "graph");
    }

    private static void ValidateGraph(GraphProto graph, string filePath, OnnxReadOptions options, string where)
    {
        foreach (var tensor in graph.Initializer)
        {
            ValidateTensor(tensor, filePath, options, $"initializer '{tensor.Name}'");
        }

        foreach (var sparse in graph.SparseInitializer)
        {
            ValidateSparse(sparse, filePath, options, $"sparse initializer '{sparse.Values?.Name}'");
        }

        foreach (var node in graph.Node)
        {
            var nodeName = string.IsNullOrEmpty(node.Name) ? $"{node.OpType} node" : $"node '{node.Name}' ({node.OpType})";
            foreach (var attribute in node.Attribute)
            {
                var at = $"attribute '{attribute.Name}' of {nodeName} in {where}";
                if (attribute.T is not null)
                {
                    ValidateTensor(attribute.T, filePath, options, at);
                }

                foreach (var tensor in attribute.Tensors)
                {
                    ValidateTensor(tensor, filePath, options, at);
                }

                if (attribute.SparseTensor is not null)
                {
                    ValidateSparse(attribute.SparseTensor, filePath, options, at);
                }

                foreach (var sparse in attribute.SparseTensors)
                {
                    ValidateSparse(sparse, filePath, options, at);
                }

                if (attribute.G is not null)
                {
                    ValidateGraph(attribute.G, filePath, options, $"subgraph of {at}");
                }

                foreach (var subgraph in attribute.Graphs)
                {
                    ValidateGraph(subgraph, filePath, options, $"subgraph of {at}");
                }
            }
        }
    }

    private static void ValidateSparse(SparseTensorProto sparse, string filePath, OnnxReadOptions options, string what)
    {
        _ = ElementCount(sparse.Dims, filePath, options, what);
        if (sparse.Values is not null)
        {
            ValidateTensor(sparse.Values, filePath, options, what + " (values)");
        }

        if (sparse.Indices is not null)
        {
            ValidateTensor(sparse.Indices, filePath, options, what + " (indices)");
        }
    }

    /// <summary>The checked product of <paramref name="dims"/>: each non-negative, the product within the limit.</summary>
    public static long ElementCount(System.Collections.Generic.IReadOnlyList<long> dims, string filePath,
        OnnxReadOptions options, string what)
    {
        long count = 1;
        foreach (var dim in dims)
        {
            if (dim < 0)
            {
                throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                    $"{what} has a negative dimension ({dim}) in its dims [{string.Join(", ", dims)}]"));
            }

            // Division instead of multiplication: no overflow, and dims like [1e12, 1e12] are rejected here.
            if (dim != 0 && count > options.MaxTensorElements / dim)
            {
                throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                    $"{what} has dims [{string.Join(", ", dims)}], more than the limit of {options.MaxTensorElements} elements"));
            }

            count *= dim;
        }

        return count;
    }

    public static void ValidateTensor(TensorProto tensor, string filePath, OnnxReadOptions options, string what)
    {
        var count = ElementCount(tensor.Dims, filePath, options, what);
        if (tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var reference = OnnxExternalData.Describe(tensor, filePath, what);
            _ = OnnxExternalData.ResolvePath(reference.Location, filePath, what);
            var expected = OnnxDataTypes.RawByteCount(tensor.DataType, count);
            if (expected is long bytes && reference.Length is long length && length != bytes)
            {
                throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                    $"{what} is {OnnxDataTypes.Name(tensor.DataType)} with dims [{string.Join(", ", tensor.Dims)}] " +
                    $"({bytes} bytes) but its external data length is {length} bytes"));
            }

            return;
        }

        if (tensor.HasRawData)
        {
            var expected = OnnxDataTypes.RawByteCount(tensor.DataType, count);
            if (expected is null)
            {
                throw new OnnxFormatException(filePath,
                    $"{what} has raw_data but its element type {OnnxDataTypes.Name(tensor.DataType)} has no fixed-size encoding");
            }

            if (tensor.RawData.Length != expected)
            {
                throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                    $"{what} is {OnnxDataTypes.Name(tensor.DataType)} with dims [{string.Join(", ", tensor.Dims)}] " +
                    $"({expected} bytes) but its raw_data holds {tensor.RawData.Length} bytes"));
            }

            return;
        }

        var (field, present, perElement) = TypedField(tensor);
        if (field is null)
        {
            if (count == 0)
            {
                return;
            }

            throw new OnnxFormatException(filePath,
                $"{what} has element type {OnnxDataTypes.Name(tensor.DataType)}, which TLDsl cannot read from typed fields");
        }

        if (present != checked(count * perElement))
        {
            throw new OnnxFormatException(filePath, string.Create(CultureInfo.InvariantCulture,
                $"{what} is {OnnxDataTypes.Name(tensor.DataType)} with dims [{string.Join(", ", tensor.Dims)}] " +
                $"({count} elements) but its {field} holds {present} values"));
        }
    }

    /// <summary>The typed data field an element type is stored in, how many values it holds, and values per element.</summary>
    public static (string? Field, long Present, long PerElement) TypedField(TensorProto tensor) =>
        (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float => ("float_data", tensor.FloatData.Count, 1),
            TensorProto.Types.DataType.Complex64 => ("float_data", tensor.FloatData.Count, 2),
            TensorProto.Types.DataType.Double => ("double_data", tensor.DoubleData.Count, 1),
            TensorProto.Types.DataType.Complex128 => ("double_data", tensor.DoubleData.Count, 2),
            TensorProto.Types.DataType.Int64 => ("int64_data", tensor.Int64Data.Count, 1),
            TensorProto.Types.DataType.Uint32 or TensorProto.Types.DataType.Uint64 => ("uint64_data", tensor.Uint64Data.Count, 1),
            TensorProto.Types.DataType.String => ("string_data", tensor.StringData.Count, 1),
            TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Int8
                or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Uint16 or TensorProto.Types.DataType.Bool
                or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16
                or TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz
                or TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz
                => ("int32_data", tensor.Int32Data.Count, 1),
            _ => (null, 0, 0),
        };
}
