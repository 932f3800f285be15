// A camera frame (sensor_msgs/Image in any colour encoding the policy reads, or a JPEG/PNG
// CompressedImage) as a PNG data URL, the form a VLM request carries an image in.
import { PNG } from 'pngjs';

import type { CompressedImage, Image } from '../messages/ros-messages.js';
import { isCompressed } from '../policy/image-preprocessor.js';
import { compressedImageSource, imageSource } from '../policy/image-source.js';

export function pngDataUrl(frame: Image | CompressedImage): string {
  const src = isCompressed(frame)
    ? compressedImageSource(frame, 'camera frame')
    : imageSource(frame, 'colour', 'camera frame');
  const png = new PNG({ width: src.width, height: src.height });
  const toByte = (v: number) => Math.max(0, Math.min(255, Math.round(v * src.scale * 255)));
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < src.width; x++) {
      const base = y * src.rowStride + x * src.pixelStride;
      const out = 4 * (y * src.width + x);
      for (let c = 0; c < 3; c++) png.data[out + c] = toByte(src.data[base + src.offsets[c]!]!);
      png.data[out + 3] = 255;
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}
