/**
 * Small uploads to the GPU through queue.writeBuffer. tfjs-backend-webgpu 4.22 uploads every
 * tensor made from JavaScript data (each scalar of an op like tf.mul(x, 2) among them) through a
 * new mapped staging buffer, created and destroyed per upload, and a copy that ends the compute
 * pass being recorded. A training step of the UNet made ~450 such uploads at 64 px, nearly all
 * scalars; writeBuffer hands the bytes to Dawn's own staging ring instead. Ordering is kept: the
 * queue runs writeBuffer after the command buffers already submitted and before those submitted
 * later, and a buffer from tfjs' free pool is never referenced by the commands still being
 * recorded (tfjs releases a buffer into the pool only after the submit that used it).
 */
interface UploadBackend {
  readonly device: { queue: { writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView): void } };
  readonly tensorMap: { get(dataId: object): { dtype: string; shape: number[]; values: ArrayLike<number> | null; resource: unknown } };
  readonly bufferManager: { acquireBuffer(size: number, usage: number): unknown };
  uploadToGPU(dataId: object): void;
}

/** STORAGE | COPY_SRC | COPY_DST: the usage tfjs gives tensor buffers (GPUBufferUsage constants). */
const TENSOR_BUFFER_USAGE = 0x0080 | 0x0004 | 0x0008;

const patched = new WeakSet<object>();

/** Replaces `backend.uploadToGPU` (the webgpu backend instance, after tf.ready) for 4-byte dtypes. */
export function patchWebgpuUploads(backend: object): void {
  if (patched.has(backend)) return;
  const target = backend as UploadBackend;
  if (typeof target.uploadToGPU !== 'function' || !target.tensorMap || !target.bufferManager || !target.device?.queue) {
    throw new Error('patchWebgpuUploads: this is not tfjs-backend-webgpu 4.22 (uploadToGPU, tensorMap, bufferManager or device.queue missing)');
  }
  const original = target.uploadToGPU.bind(target);
  target.uploadToGPU = (dataId: object) => {
    const data = target.tensorMap.get(dataId);
    if (data.resource != null || data.values == null || !['float32', 'int32', 'bool'].includes(data.dtype) || data.values.length === 0) {
      original(dataId);
      return;
    }
    const bytes = data.dtype === 'float32' ? Float32Array.from(data.values) : Int32Array.from(data.values);
    const buffer = target.bufferManager.acquireBuffer(bytes.byteLength, TENSOR_BUFFER_USAGE);
    target.device.queue.writeBuffer(buffer, 0, bytes);
    // As tfjs does: once on the GPU, the values are not kept on the CPU.
    data.values = null;
    data.resource = buffer;
  };
  patched.add(backend);
}
