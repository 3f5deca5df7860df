import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-INGGAHRT.js";import"./chunk-HOIGDQXB.js";import"./chunk-JL6P4GYP.js";import"./chunk-ORKPRCK3.js";export{b as checkManifestEntries,a as isKustomizeDir,d as loadManifests,c as parseManifestText};
