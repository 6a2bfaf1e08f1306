using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;
using TLDsl.Runtime.Native;
using TLDsl.Runtime.Pipelines;
using TLDsl.Runtime.Surgery;
using TLDsl.Spec.Registries;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace TLDsl.Generator.Tests;

/// <summary>
/// Every head layer kind of the registry goes through every hop: YAML → Spec, Spec → the runtime's module, the generated
/// model's field, the safetensors export and the PyTorch module the export README names (built and run by real PyTorch
/// on the exported weights). A kind added to the registry but missing a hop fails here, not in a user's run.
/// </summary>
public sealed class HeadLayerRegistryTests
{
    private const int Channels = 128; // small_cnn's relu3

    /// <summary>One pipeline per pool kind; the first also holds every kind that takes a vector.</summary>
    private static IEnumerable<HeadLayerKind[]> Heads()
    {
        var pools = HeadLayers.All.Where(l => l.Form == HeadLayerForm.Pool).Select(l => l.Kind).ToArray();
        var vectorKinds = HeadLayers.All.Where(l => l.Form != HeadLayerForm.Pool).Select(l => l.Kind).ToArray();
        for (int i = 0; i < pools.Length; i++)
        {
            yield return i == 0 ? [pools[i], .. vectorKinds, HeadLayerKind.Linear] : [pools[i], HeadLayerKind.Linear];
        }
    }

    private static string Yaml(HeadLayerKind kind, bool last)
    {
        var info = HeadLayers.Of(kind);
        return info.Form switch
        {
            HeadLayerForm.Linear => last ? "linear: labels" : "linear: 8",
            HeadLayerForm.Dropout => "dropout: 0.25",
            HeadLayerForm.Pool => "pool: " + info.Argument,
            HeadLayerForm.Norm or HeadLayerForm.Plain => info.Key,
            _ => throw new InvalidOperationException($"head layer form {info.Form} has no YAML in this test."),
        };
    }

    [Fact]
    public void Every_head_layer_kind_goes_through_spec_runtime_generator_and_export()
    {
        TorchNative.EnsureLoaded();
        var heads = Heads().ToArray();
        Assert.Equal(Enum.GetValues<HeadLayerKind>().Order(), heads.SelectMany(h => h).Distinct().Order());

        string folder = Directory.CreateTempSubdirectory("tldsl-head-hops").FullName;
        try
        {
            var python = new StringBuilder(PythonPrelude);
            var expected = new List<float[]>();
            foreach (var (head, n) in heads.Select((h, n) => (h, n)))
            {
                string name = "Hop" + n.ToString(CultureInfo.InvariantCulture);
                string yaml = "version: 1\nname: " + name + "\n" +
                    "base: { model: small_cnn, cut_at: relu3 }\n" +
                    "input: { size: [28, 28], channels: 1, normalize: { mean: [0.5], std: [0.25] } }\n" +
                    "labels: [a, b, c]\nhead:\n" + string.Concat(head.Select((k, i) => "  - " + Yaml(k, i == head.Length - 1) + "\n")) +
                    "train: { epochs: 1 }\n";
                string path = Path.Combine(folder, name + ".tl.yaml");
                File.WriteAllText(path, yaml);

                // YAML → Spec.
                var file = PipelineFile.Load(path);
                Assert.Equal(head, file.Spec.Head.Select(l => l.Kind));

                // Spec → generated model; constructing it casts every runtime module to the generated field's type.
                var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compilation(), new MemoryText(path, yaml));
                Assert.Empty(diagnostics);
                var assembly = GeneratorHarness.Load(output);
                var type = assembly.GetType("TLDsl.Generated." + name + "Model")!;
                using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type, false, path, null)!;
                var runtime = (TransferModel)type.GetField("_runtime", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(generated)!;
                var headType = assembly.GetType("TLDsl.Generated." + name + "ModelHead")!;
                for (int i = 0; i < head.Length; i++)
                {
                    var info = HeadLayers.Of(head[i]);
                    // Spec → runtime module, and the generated field of the same type.
                    var module = runtime.Head.children().ElementAt(i);
                    Assert.Equal(info.FieldType, module.GetType().FullName);
                    var field = headType.GetField(info.Key + i.ToString(CultureInfo.InvariantCulture), BindingFlags.Instance | BindingFlags.NonPublic);
                    Assert.True(field is not null, $"{name}: no generated field for head.{i} ({info.Display})");
                    Assert.Equal(info.FieldType, field.FieldType.FullName);
                }
                CompileAndRunTests.AssertSameKeys(generated, runtime);
                CompileAndRunTests.AssertSameOutputs(generated, runtime, 28, 1);

                // Runtime → safetensors (as tldsl export writes it) → PyTorch, with the modules the export README names.
                runtime.eval();
                manual_seed(n);
                var state = runtime.state_dict();
                using var input = randn(2, Channels, 7, 7);
                using (no_grad())
                {
                    using var y = runtime.Head.call(input);
                    expected.Add(y.data<float>().ToArray());
                }
                state["input"] = input;
                string weights = Path.Combine(folder, name + ".safetensors");
                Safetensors.SaveStateDict(weights, state);
                string layers = string.Join(", ", head.Select((k, i) => HeadLayers.Of(k).PyTorchFor(
                    state.TryGetValue("head." + i.ToString(CultureInfo.InvariantCulture) + ".weight", out var w) ? w.shape : [],
                    0.25, bias: true)));
                python.Append(CultureInfo.InvariantCulture, $"run({JsonSerializer.Serialize(weights)}, [{layers}])\n");
            }

            var outputs = RunPython(python.ToString());
            Assert.Equal(heads.Length, outputs.Count);
            for (int n = 0; n < heads.Length; n++)
            {
                Assert.Equal(expected[n].Length, outputs[n].Length);
                float worst = expected[n].Zip(outputs[n], (a, b) => Math.Abs(a - b)).Max();
                Assert.True(worst < 1e-4f, $"pipeline {n}: PyTorch differs from TorchSharp by {worst}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The classes the export README defines, and safetensors read by hand (Debian's PyTorch has no safetensors package).
    private static string PythonPrelude => "import json, struct, torch\n"
        + string.Concat(HeadLayers.All.Select(l => l.PyTorchDefinition).OfType<string>().Distinct()) + """
        def load(path):
            with open(path, "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(n))
                data = f.read()
            types = {"F32": torch.float32, "I64": torch.int64}
            return {k: torch.frombuffer(bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=types[v["dtype"]]).reshape(v["shape"])
                    for k, v in header.items() if k != "__metadata__"}
        def run(path, layers):
            state = load(path)
            head = torch.nn.Sequential(*layers)
            head.load_state_dict({k[len("head."):]: v for k, v in state.items() if k.startswith("head.")}, strict=True)
            head.eval()
            with torch.no_grad():
                print(json.dumps(head(state["input"]).flatten().tolist()))

        """;

    private static List<float[]> RunPython(string script)
    {
        string python = new[] { Environment.GetEnvironmentVariable("TLDSL_PYTHON"), "/usr/bin/python3", "python3" }
            .Where(p => !string.IsNullOrEmpty(p))
            .FirstOrDefault(p => Run(p!, "import torch").Code == 0)
            ?? throw new InvalidOperationException("no Python with torch found (set TLDSL_PYTHON; .ci/run installs python3-torch).");
        var (code, stdout, stderr) = Run(python, script);
        Assert.True(code == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<float[]>(line)!).ToList();
    }

    private static (int Code, string Stdout, string Stderr) Run(string python, string script)
    {
        try
        {
            var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-");
            using var process = Process.Start(start)!;
            process.StandardInput.Write(script);
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, "", python + " not found");
        }
    }
}
