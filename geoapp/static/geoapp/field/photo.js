/* Mueang field app: a photo resized on the phone before it is kept and sent (issue 18).
 * A canvas redraw to at most 1600 px on the longest side, JPEG quality stepped down from 0.82
 * until about 500 KB. The canvas carries pixels only, so EXIF (GPS, device) is gone already;
 * the server re-encodes again. Shared by the app and benchmarks/bench_field.py. */
(function () {
  "use strict";
  const SIDE = 1600;
  const TARGET = 500 * 1024;

  function encode(canvas, quality) {
    return new Promise((done) => canvas.toBlob(done, "image/jpeg", quality));
  }

  async function resize(file) {
    const bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
    const scale = Math.min(1, SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    let quality = 0.82;
    let blob = await encode(canvas, quality);
    while (blob.size > TARGET && quality > 0.4) {
      quality -= 0.12;
      blob = await encode(canvas, quality);
    }
    return blob;
  }

  window.mueangPhoto = {resize, SIDE, TARGET};
})();
