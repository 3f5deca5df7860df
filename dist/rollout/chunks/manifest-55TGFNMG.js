import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-LAIG72KI.js";import"./chunk-HOIGDQXB.js";import"./chunk-DO4STZ54.js";import"./chunk-ORKPRCK3.js";export{b as checkManifestEntries,a as isKustomizeDir,d as loadManifests,c as parseManifestText};
