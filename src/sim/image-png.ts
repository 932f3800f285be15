// rgb8 sensor_msgs/Image → PNG bytes, so people (and tests) can look at what the camera saw.
import { PNG } from 'pngjs';

import type { Image } from '../messages/ros-messages.js';

/** `upscale` repeats each pixel (nearest neighbour) so a 96×96 frame is big enough to look at. */
export function encodePng(image: Image, upscale = 1): Buffer {
  if (image.encoding !== 'rgb8') throw new Error(`encodePng takes rgb8 images, got ${image.encoding}`);
  const width = image.width * upscale;
  const height = image.height * upscale;
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = Math.floor(y / upscale) * image.step + 3 * Math.floor(x / upscale);
      const dst = 4 * (y * width + x);
      png.data[dst] = image.data[src]!;
      png.data[dst + 1] = image.data[src + 1]!;
      png.data[dst + 2] = image.data[src + 2]!;
      png.data[dst + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
