// Issue 25, client: photos that fit. A phone photo of a paper document weighs 3-12 MB, minutes on a weak
// line. When files are chosen on a question's upload form, camera images above about 2 megapixels are
// redrawn at about 2 megapixels (JPEG, quality 0.85) through createImageBitmap(..., from-image), so the
// camera's EXIF orientation ends up in the pixels (the JPEG written by the canvas carries no EXIF). With two
// or more photos the card offers to bind them into one PDF, one page per photo, in an order the user sets
// with up/down buttons; jsPDF loads only then. The prepared files replace the input's own (a DataTransfer),
// so the plain form and the resumable upload (static/upload.js, which waits on klaPhotos.prepare) send the
// same bytes. The strings come from the template's data attributes (workspace/_upload_plus.html).
(function () {
  "use strict";
  var TARGET_PIXELS = 2000000;
  var LIMIT_PIXELS = 2200000;  // a photo just above 2 MP is left alone: redrawing it would only lose detail
  var QUALITY = 0.85;
  var PHOTO = /^image\/(jpeg|png)$/;
  var state = new WeakMap();  // form -> {ready, files, photos, baked}: the current choice of files

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function megapixels(pixels) {
    return (Math.round(pixels / 1e5) / 10).toLocaleString(document.documentElement.lang || undefined);
  }
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { script.remove(); reject(new Error("cannot load " + src)); };
      document.head.appendChild(script);
    });
  }
  function setFiles(input, files) {
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;  // no change event: the choice stays the user's
  }
  function canvasBlob(canvas) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { if (blob) resolve(blob); else reject(new Error("toBlob")); }, "image/jpeg", QUALITY);
    });
  }
  // The photo upright (EXIF applied) on a white canvas (a PNG's transparency would turn black in a JPEG).
  function draw(bitmap, scale) {
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return canvas;
  }
  function jpegFile(blob, like) {
    // The original's date: the same photo chosen again gives the same file, so its upload can resume.
    return new File([blob], like.name.replace(/\.[^.]*$/, "") + ".jpg", {type: "image/jpeg", lastModified: like.lastModified});
  }

  // -> {file, from, to} for a photo above the limit, null for one that fits as it is.
  function shrink(file) {
    return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
      var pixels = bitmap.width * bitmap.height;
      if (pixels <= LIMIT_PIXELS) { bitmap.close(); return null; }
      var canvas = draw(bitmap, Math.sqrt(TARGET_PIXELS / pixels));
      return canvasBlob(canvas).then(function (blob) {
        return {file: jpegFile(blob, file), from: megapixels(pixels), to: megapixels(canvas.width * canvas.height)};
      });
    });
  }

  function note(plus, text) {
    var line = document.createElement("p");
    line.textContent = text;
    plus.querySelector(".photo-notes").appendChild(line);
    plus.hidden = false;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form.upload input[type=file]")) return;
    var plus = input.form.querySelector(".upload-plus");
    if (!plus) return;
    var chosen = Array.prototype.slice.call(input.files);
    var current = {files: chosen, photos: [], baked: new WeakSet(), ready: Promise.resolve()};
    state.set(input.form, current);
    plus.querySelector(".photo-notes").textContent = "";
    plus.querySelector(".photo-bind").hidden = true;
    plus.querySelector(".photo-bind-on").checked = false;
    if (!window.createImageBitmap || typeof DataTransfer === "undefined") return;
    if (!chosen.some(function (file) { return PHOTO.test(file.type); })) return;
    var status = plus.querySelector(".upload-status");
    status.textContent = plus.dataset.tPreparing;
    plus.hidden = false;
    // One photo at a time: a 12 MP bitmap takes 48 MB, and phones have little memory.
    current.ready = chosen.reduce(function (done, file) {
      return done.then(function (out) {
        if (!PHOTO.test(file.type)) return out.concat([file]);
        return shrink(file).then(function (result) {
          if (!result) return out.concat([file]);
          note(plus, fill(plus.dataset.tResized, {name: file.name, from: result.from, to: result.to}));
          current.baked.add(result.file);
          return out.concat([result.file]);
        }, function () {
          note(plus, fill(plus.dataset.tUnprepared, {name: file.name}));
          return out.concat([file]);
        });
      });
    }, Promise.resolve([])).then(function (files) {
      if (state.get(input.form) !== current) return;  // the user chose again meanwhile
      status.textContent = "";
      current.files = files;
      current.photos = files.filter(function (file) { return PHOTO.test(file.type); });
      setFiles(input, files);
      if (current.photos.length >= 2) showOrder(plus, current);
    });
  });

  // -- binding: the order, with buttons (a keyboard and a screen reader can use them; dragging could not) --

  function showOrder(plus, current) {
    var list = plus.querySelector(".photo-order");
    list.textContent = "";
    current.photos.forEach(function (file, index) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "photo-name";
      name.textContent = file.name;
      item.appendChild(name);
      [["up", "↑", plus.dataset.tUp], ["down", "↓", plus.dataset.tDown]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary photo-" + spec[0];
        button.textContent = spec[1];
        button.setAttribute("aria-label", fill(spec[2], {name: file.name}));
        item.appendChild(button);
      });
      item.dataset.index = String(index);
      list.appendChild(item);
    });
    edges(list);
    plus.querySelector(".photo-bind").hidden = false;
  }
  function edges(list) {
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      items[i].querySelector(".photo-up").disabled = i === 0;
      items[i].querySelector(".photo-down").disabled = i === items.length - 1;
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".photo-order button");
    if (!button) return;
    var item = button.closest("li");
    var list = item.parentNode;
    var up = button.classList.contains("photo-up");
    if (up && item.previousElementSibling) list.insertBefore(item, item.previousElementSibling);
    if (!up && item.nextElementSibling) list.insertBefore(item.nextElementSibling, item);
    edges(list);
    // The focus stays with the photo moved; at an end, on its other button.
    (button.disabled ? item.querySelector(up ? ".photo-down" : ".photo-up") : button).focus();
  });

  // A page per photo, as large as the photo (96 dpi), upright; the same photos in the same order give
  // the same bytes (date and file id fixed), so a bound PDF interrupted on the way can resume too.
  function bind(plus, current, ordered) {
    return loadScript(plus.dataset.jspdfSrc).then(function () {
      var pages = ordered.reduce(function (done, file) {
        return done.then(function (out) {
          return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
            var size = {width: bitmap.width, height: bitmap.height};
            if (current.baked.has(file)) {  // drawn upright by shrink already: its bytes as they are
              bitmap.close();
              return file.arrayBuffer().then(function (bytes) { return out.concat([[new Uint8Array(bytes), size]]); });
            }
            return canvasBlob(draw(bitmap, 1)).then(function (blob) { return blob.arrayBuffer(); }).then(function (bytes) {
              return out.concat([[new Uint8Array(bytes), size]]);
            });
          });
        });
      }, Promise.resolve([]));
      return pages;
    }).then(function (pages) {
      var jsPDF = window.jspdf.jsPDF;
      var doc = null;
      pages.forEach(function (page, index) {
        var width = page[1].width * 0.75, height = page[1].height * 0.75;  // px at 96 dpi -> pt
        var orientation = width > height ? "l" : "p";
        if (!doc) doc = new jsPDF({orientation: orientation, unit: "pt", format: [width, height], compress: true});
        else doc.addPage([width, height], orientation);
        // Its own alias: with its default one, jsPDF took the three test photos for one image on every page.
        doc.addImage(page[0], "JPEG", 0, 0, width, height, "photo" + index, "NONE");
      });
      var last = Math.max.apply(null, ordered.map(function (file) { return file.lastModified; }));
      doc.setCreationDate(new Date(last));
      doc.setFileId(fileId(ordered));
      var name = plus.dataset.tPdfName;
      return new File([doc.output("blob")], name, {type: "application/pdf", lastModified: last});
    });
  }
  function fileId(files) {  // 32 hex digits from the photos' names, sizes and dates (FNV-1a, four lanes)
    var text = files.map(function (f) { return f.name + "/" + f.size + "/" + f.lastModified; }).join("|");
    var out = "";
    for (var lane = 0; lane < 4; lane++) {
      var hash = 0x811c9dc5 ^ lane;
      for (var i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
      out += ("0000000" + hash.toString(16)).slice(-8);
    }
    return out.toUpperCase();
  }

  // For static/upload.js: wait for the photos of the current choice, bind them when asked, and leave in
  // the input exactly what is to be sent.
  window.klaPhotos = {
    prepare: function (form) {
      var current = state.get(form);
      if (!current) return Promise.resolve();
      var plus = form.querySelector(".upload-plus");
      var input = form.querySelector("input[type=file]");
      return current.ready.then(function () {
        if (!plus.querySelector(".photo-bind-on").checked || current.photos.length < 2) return;
        var items = plus.querySelectorAll(".photo-order li");
        var ordered = Array.prototype.map.call(items, function (item) { return current.photos[Number(item.dataset.index)]; });
        var status = plus.querySelector(".upload-status");
        status.textContent = fill(plus.dataset.tBinding, {n: ordered.length});
        return bind(plus, current, ordered).then(function (pdf) {
          status.textContent = "";
          note(plus, fill(plus.dataset.tBound, {n: ordered.length, name: pdf.name}));
          var others = current.files.filter(function (file) { return ordered.indexOf(file) < 0; });
          setFiles(input, [pdf].concat(others));
        });
      });
    },
    forget: function (form) {  // after sending: the next choice starts afresh
      state.delete(form);
      var plus = form.querySelector(".upload-plus");
      if (!plus) return;
      plus.querySelector(".photo-bind").hidden = true;
      plus.querySelector(".photo-bind-on").checked = false;
      plus.querySelector(".photo-order").textContent = "";
    }
  };
})();
