// onnxruntime-node as installed here: version and execution providers (the doctor's view).
// src/policy/onnx/ is the only place that imports onnxruntime-node.
export interface OnnxRuntimeStatus {
  available: boolean;
  version?: string;
  /** Execution providers shipped in the installed package (usable now), e.g. ["cpu"]. */
  backends?: string[];
  /** Providers this build knows but whose libraries are a separate download (skipped here). */
  notInstalled?: string[];
  error?: string;
}

export async function probeOnnxRuntime(): Promise<OnnxRuntimeStatus> {
  try {
    const ort = await import('onnxruntime-node');
    const all = ort.listSupportedBackends();
    return {
      available: true,
      version: ort.env.versions.node,
      backends: all.filter((b) => b.bundled).map((b) => b.name),
      notInstalled: all.filter((b) => !b.bundled).map((b) => b.name),
    };
  } catch (error) {
    return { available: false, error: (error as Error).message };
  }
}
