// Where the NVIDIA driver and cuBLASLt are looked for. The driver is libcuda.so.1 from the system's
// loader path (the NVIDIA driver installs it); cuBLASLt is searched in LD_LIBRARY_PATH, $CUDA_HOME /
// $CUDA_PATH, /usr/local/cuda, the distribution's library folders and Python's site-packages (the pip
// wheels nvidia-cublas-cu12: nvidia/cublas/lib, and nvidia-cublas for CUDA 13: nvidia/cu13/lib), by
// absolute path first, then by bare name (the system loader's own search).

/** The cuBLASLt file names, newest CUDA first. */
export const BLASLT_NAMES: readonly string[] = ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"];

/** The driver candidates passed to dlopen (DEBERTA_LIBCUDA overrides). */
export function driverCandidates(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  if (env.DEBERTA_LIBCUDA) return [env.DEBERTA_LIBCUDA];
  return ["libcuda.so.1"];
}

export interface SearchInputs {
  env?: Readonly<Record<string, string | undefined>>;
  /** Python's site-packages folders (sitePackages() finds them). */
  sitePackages?: readonly string[];
  /** Existence check (tests pass their own). */
  exists?: (path: string) => boolean;
}

/** Folders searched for cuBLASLt, in order, without duplicates. */
export function blasLtFolders(inputs: SearchInputs = {}): string[] {
  const env = inputs.env ?? process.env;
  const folders: string[] = [];
  for (const dir of (env.LD_LIBRARY_PATH ?? "").split(":")) if (dir !== "") folders.push(dir);
  for (const base of [env.CUDA_HOME, env.CUDA_PATH]) {
    if (base) folders.push(`${base}/lib64`, `${base}/lib`);
  }
  folders.push("/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib");
  for (const site of inputs.sitePackages ?? []) {
    folders.push(`${site}/nvidia/cublas/lib`, `${site}/nvidia/cu13/lib`);
  }
  return [...new Set(folders)];
}

/**
 * cuBLASLt candidates for dlopen: every existing folder × name as an absolute path (DEBERTA_CUBLASLT
 * first when set), then the bare names for the system loader.
 */
export function blasLtCandidates(inputs: SearchInputs = {}): string[] {
  const env = inputs.env ?? process.env;
  const exists = inputs.exists ?? (() => true);
  const out: string[] = [];
  if (env.DEBERTA_CUBLASLT) out.push(env.DEBERTA_CUBLASLT);
  for (const dir of blasLtFolders(inputs)) {
    for (const name of BLASLT_NAMES) {
      const path = `${dir}/${name}`;
      if (exists(path)) out.push(path);
    }
  }
  out.push(...BLASLT_NAMES);
  return [...new Set(out)];
}

/**
 * Python's site-packages folders, from `python3` (site.getsitepackages() and the user site), or [] when
 * there is no python3 (or it takes longer than 5 s). DEBERTA_PYTHON names another interpreter.
 */
export async function sitePackages(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  const { execFile } = await import("node:child_process");
  const python = env.DEBERTA_PYTHON ?? "python3";
  const script =
    "import site, json; p = list(site.getsitepackages()) if hasattr(site, 'getsitepackages') else []; " +
    "u = site.getusersitepackages() if hasattr(site, 'getusersitepackages') else None; " +
    "print(json.dumps(p + ([u] if isinstance(u, str) else [])))";
  return new Promise((resolve) => {
    execFile(python, ["-c", script], { timeout: 5000, encoding: "utf8" }, (error, stdout) => {
      if (error) return resolve([]);
      try {
        const parsed = JSON.parse(stdout.trim()) as unknown;
        resolve(Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === "string") : []);
      } catch {
        resolve([]);
      }
    });
  });
}

/** What to install when cuBLASLt is not found (the error message's advice). */
export const BLASLT_INSTALL_HINT =
  "install cuBLAS (CUDA 12 or 13): the CUDA toolkit (libcublasLt.so.* in $CUDA_HOME/lib64), the distribution's " +
  "package (e.g. Debian/Ubuntu libcublaslt12), or the Python wheel (pip install nvidia-cublas-cu12, or nvidia-cublas " +
  'for CUDA 13); or set DEBERTA_CUBLASLT to the library\'s path; or create the backend with { gemm: "kernel" } ' +
  "to use the package's own GEMM kernel instead";
