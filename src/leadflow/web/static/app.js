// leadflow UI
