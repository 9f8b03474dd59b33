using System.Runtime.InteropServices;

namespace Sightline.Torch.Native;

/// <summary>
/// Global libtorch switches that TorchSharp 0.107 does not expose, reached through libtorch_cpu's exported C++ symbols
/// (<c>at::globalContext()</c> and members of <c>at::Context</c>; Itanium ABI, so a member takes the context as its first
/// argument).
/// </summary>
/// <remarks>
/// Why: on this project's machines (x86-64 with AVX-512, libtorch 2.10 CPU), oneDNN's float32 convolution backward
/// (and <c>conv_transpose2d</c>) returned wrong values for batches larger than one, differing from run to run (errors of
/// the order of the values themselves; float64 and batch 1 were right). With oneDNN off libtorch uses its own im2col
/// kernels, which agree with float64 to 1e-6. Sightline's models therefore switch oneDNN off; a caller who trusts
/// oneDNN on a given machine can switch it back on with <see cref="SetOneDnnEnabled"/>.
/// </remarks>
public static class LibTorchContext
{
    delegate nint GlobalContextFn();
    delegate void SetBoolFn(nint context, [MarshalAs(UnmanagedType.U1)] bool value);
    [return: MarshalAs(UnmanagedType.U1)]
    delegate bool GetBoolFn(nint context);

    static readonly Lock Gate = new();
    static bool resolved;
    static bool defaultsApplied;
    static GlobalContextFn? globalContext;
    static SetBoolFn? setMkldnn;
    static GetBoolFn? getMkldnn;
    static SetBoolFn? setNnpack;

    /// <summary>Whether libtorch may use oneDNN (MKL-DNN) kernels; null when the switch cannot be reached.</summary>
    public static bool? OneDnnEnabled
    {
        get
        {
            Resolve();
            return globalContext is null || getMkldnn is null ? null : getMkldnn(globalContext());
        }
    }

    /// <summary>Turns oneDNN kernels on or off for the whole process. Returns false when the switch cannot be reached.</summary>
    public static bool SetOneDnnEnabled(bool enabled)
    {
        TorchRuntime.EnsureInitialized();
        Resolve();
        if (globalContext is null || setMkldnn is null) return false;
        setMkldnn(globalContext(), enabled);
        return true;
    }

    /// <summary>
    /// Applies Sightline's defaults once per process; later calls do nothing, so a caller's own
    /// <see cref="SetOneDnnEnabled"/> afterwards stands. Every Sightline.Torch model calls this. oneDNN goes off (see the
    /// remarks), and so does NNPACK: with oneDNN off libtorch's convolution asks for NNPACK on every call and, where the
    /// CPU lacks what NNPACK needs, prints "Could not initialize NNPACK! Reason: Unsupported hardware." each time.
    /// </summary>
    public static void ApplyDefaults()
    {
        lock (Gate)
        {
            if (defaultsApplied) return;
            defaultsApplied = true;
        }
        SetOneDnnEnabled(false);
        if (globalContext is not null && setNnpack is not null) setNnpack(globalContext(), false);
    }

    static void Resolve()
    {
        lock (Gate)
        {
            if (resolved) return;
            resolved = true;
            foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
            {
                if (!NativeLibrary.TryLoad(name, typeof(LibTorchContext).Assembly, null, out var handle)) continue;
                if (NativeLibrary.TryGetExport(handle, "_ZN2at13globalContextEv", out var g)
                    && NativeLibrary.TryGetExport(handle, "_ZN2at7Context20setUserEnabledMkldnnEb", out var s)
                    && NativeLibrary.TryGetExport(handle, "_ZNK2at7Context17userEnabledMkldnnEv", out var u))
                {
                    globalContext = Marshal.GetDelegateForFunctionPointer<GlobalContextFn>(g);
                    setMkldnn = Marshal.GetDelegateForFunctionPointer<SetBoolFn>(s);
                    getMkldnn = Marshal.GetDelegateForFunctionPointer<GetBoolFn>(u);
                }
                if (NativeLibrary.TryGetExport(handle, "_ZN2at7Context20setUserEnabledNNPACKEb", out var n))
                    setNnpack = Marshal.GetDelegateForFunctionPointer<SetBoolFn>(n);
                return;
            }
        }
    }
}
