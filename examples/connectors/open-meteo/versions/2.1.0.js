// Open-Meteo connector, version 2.1.0.
// Open-Meteo (https://open-meteo.com/en/docs) is free for non-commercial use and needs no key.
// Forecasts, geocoding and air quality are served from three separate hosts.

const WMO = {
  0: "Clear sky", 1: "Mainly clear", 2: "Partly cloudy", 3: "Overcast",
  45: "Fog", 48: "Depositing rime fog",
  51: "Light drizzle", 53: "Drizzle", 55: "Dense drizzle",
  56: "Light freezing drizzle", 57: "Dense freezing drizzle",
  61: "Slight rain", 63: "Rain", 65: "Heavy rain",
  66: "Light freezing rain", 67: "Heavy freezing rain",
  71: "Slight snowfall", 73: "Snowfall", 75: "Heavy snowfall", 77: "Snow grains",
  80: "Slight rain showers", 81: "Rain showers", 82: "Violent rain showers",
  85: "Slight snow showers", 86: "Heavy snow showers",
  95: "Thunderstorm", 96: "Thunderstorm with slight hail", 99: "Thunderstorm with heavy hail",
};

// Rounds halves away from zero (Math.round rounds -0.5 up to -0).
const roundHalfAway = (x) => Math.sign(x) * Math.round(Math.abs(x));

const latitude = { name: "latitude", label: "Latitude", type: "number" };
const longitude = { name: "longitude", label: "Longitude", type: "number" };
const temperatureUnit = { name: "temperature_unit", label: "Temperature unit", control_type: "select", pick_list: "temperature_units", optional: true };

export default {
  title: "Open-Meteo Weather",
  description: "Current weather, daily forecasts, air quality and place search from Open-Meteo, plus a frost warning trigger. No account needed.",
  allowed_hosts: ["api.open-meteo.com", "geocoding-api.open-meteo.com", "air-quality-api.open-meteo.com"],

  connection: {
    fields: [],
    base_uri: (connection) => "https://api.open-meteo.com",
  },

  test: (connection) => get("/v1/forecast", { latitude: 52.52, longitude: 13.41, current: "temperature_2m" }),

  actions: {
    get_current_weather: {
      title: "Get current weather",
      description: "Current conditions at a location, with a readable description of the WMO weather code.",
      input_fields: [
        { ...latitude, hint: "e.g. 52.52" },
        { ...longitude, hint: "e.g. 13.41" },
        { ...temperatureUnit, hint: "celsius (default) or fahrenheit" },
        { name: "wind_speed_unit", label: "Wind speed unit", control_type: "select", pick_list: "wind_speed_units", optional: true, hint: "kmh (default), ms, mph or kn" },
      ],
      output_fields: [
        { name: "latitude", type: "number" },
        { name: "longitude", type: "number" },
        { name: "timezone" },
        { name: "elevation", type: "number" },
        { name: "current", type: "object", properties: [
          { name: "time" },
          { name: "temperature_2m", label: "Temperature", type: "number" },
          { name: "apparent_temperature", label: "Feels like", type: "number" },
          { name: "relative_humidity_2m", label: "Humidity (%)", type: "integer" },
          { name: "precipitation", type: "number" },
          { name: "weather_code", type: "integer" },
          { name: "weather_description" },
          { name: "wind_speed_10m", label: "Wind speed", type: "number" },
          { name: "wind_direction_10m", label: "Wind direction (°)", type: "integer" },
        ] },
        { name: "current_units", type: "object" },
      ],
      execute(connection, input) {
        const r = get("/v1/forecast", {
          latitude: input.latitude,
          longitude: input.longitude,
          current: "temperature_2m,relative_humidity_2m,apparent_temperature,precipitation,weather_code,wind_speed_10m,wind_direction_10m",
          temperature_unit: input.temperature_unit ?? "celsius",
          wind_speed_unit: input.wind_speed_unit ?? "kmh",
          timezone: "auto",
        });
        r.current.weather_description = WMO[r.current.weather_code] ?? "Unknown";
        return r;
      },
    },

    get_daily_forecast: {
      title: "Get daily forecast",
      description: "Daily highs, lows, precipitation and sunrise/sunset for up to 16 days, one row per day.",
      input_fields: [
        latitude,
        longitude,
        { name: "forecast_days", label: "Days", type: "integer", optional: true, hint: "1 to 16, default 7" },
        temperatureUnit,
      ],
      output_fields: [
        { name: "timezone" },
        { name: "daily_units", type: "object" },
        { name: "days", type: "array", properties: [
          { name: "date", type: "date" },
          { name: "weather_code", type: "integer" },
          { name: "temperature_2m_max", label: "High", type: "number" },
          { name: "temperature_2m_min", label: "Low", type: "number" },
          { name: "precipitation_sum", label: "Precipitation", type: "number" },
          { name: "precipitation_probability_max", label: "Chance of precipitation (%)", type: "integer" },
          { name: "sunrise", type: "date_time" },
          { name: "sunset", type: "date_time" },
        ] },
      ],
      execute(connection, input) {
        const variables = ["weather_code", "temperature_2m_max", "temperature_2m_min", "precipitation_sum",
                           "precipitation_probability_max", "sunrise", "sunset"];
        const r = get("/v1/forecast", {
          latitude: input.latitude,
          longitude: input.longitude,
          daily: variables.join(","),
          forecast_days: input.forecast_days ?? 7,
          temperature_unit: input.temperature_unit ?? "celsius",
          timezone: "auto",
        });
        // Open-Meteo answers column by column; turn the columns into one row per day.
        r.days = r.daily.time.map((date, i) => {
          const day = { date };
          for (const v of variables) day[v] = r.daily[v][i];
          return day;
        });
        return r;
      },
    },

    search_location: {
      title: "Search location",
      description: "Finds places by name and returns their coordinates, country and time zone.",
      input_fields: [
        { name: "name", label: "Place name", hint: "City or postal code, e.g. Berlin or 10115" },
        { name: "count", label: "Max results", type: "integer", optional: true, hint: "1 to 100, default 5" },
        { name: "language", label: "Language", optional: true, hint: "Two-letter code for place names, default en" },
      ],
      output_fields: [
        { name: "results", type: "array", properties: [
          { name: "id", type: "integer" },
          { name: "name" },
          { name: "latitude", type: "number" },
          { name: "longitude", type: "number" },
          { name: "country" },
          { name: "country_code" },
          { name: "admin1", label: "Region" },
          { name: "timezone" },
          { name: "population", type: "integer" },
        ] },
      ],
      execute: (connection, input) => {
        const r = get("https://geocoding-api.open-meteo.com/v1/search", {
          name: input.name,
          count: input.count ?? 5,
          language: input.language ?? "en",
          format: "json",
        });
        // No match: Open-Meteo omits `results` entirely.
        return { results: r.results ?? [] };
      },
    },

    get_air_quality: {
      title: "Get air quality",
      description: "Current European and US air quality index and pollutant levels.",
      input_fields: [latitude, longitude],
      output_fields: [
        { name: "current", type: "object", properties: [
          { name: "time" },
          { name: "european_aqi", label: "European AQI", type: "integer" },
          { name: "us_aqi", label: "US AQI", type: "integer" },
          { name: "pm10", type: "number" },
          { name: "pm2_5", type: "number" },
          { name: "nitrogen_dioxide", type: "number" },
          { name: "ozone", type: "number" },
        ] },
        { name: "current_units", type: "object" },
      ],
      execute: (connection, { latitude, longitude }) => get("https://air-quality-api.open-meteo.com/v1/air-quality", {
        latitude,
        longitude,
        current: "european_aqi,us_aqi,pm10,pm2_5,nitrogen_dioxide,ozone",
        timezone: "auto",
      }),
    },
  },

  triggers: {
    frost_warning: {
      title: "Frost warning",
      description: "Fires once for each of the next three days whose forecast low is below a threshold.",
      input_fields: [
        latitude,
        longitude,
        { name: "threshold", label: "Threshold (°C)", type: "number", optional: true, hint: "Default 0" },
      ],
      output_fields: [
        { name: "date", type: "date" },
        { name: "temperature_2m_min", label: "Forecast low (°C)", type: "number" },
        { name: "threshold", type: "number" },
        { name: "latitude", type: "number" },
        { name: "longitude", type: "number" },
      ],
      // No cursor is needed: each (place, day) pair fires once thanks to dedup.
      poll(connection, input, cursor) {
        const threshold = input.threshold ?? 0.0;
        const r = get("/v1/forecast", {
          latitude: input.latitude,
          longitude: input.longitude,
          daily: "temperature_2m_min",
          forecast_days: 3,
          timezone: "auto",
        });
        const events = [];
        r.daily.time.forEach((date, i) => {
          const low = r.daily.temperature_2m_min[i];
          if (low != null && low < threshold) {
            events.push({ date, temperature_2m_min: low, threshold, latitude: input.latitude, longitude: input.longitude });
          }
        });
        return { events, cursor: r.daily.time[0] };
      },
      dedup: (event) => `${event.latitude},${event.longitude}/${event.date}`,
    },
  },

  methods: {
    // celsius_to_fahrenheit(21.5) == 70.7
    celsius_to_fahrenheit: (celsius) => roundHalfAway((celsius * 9 / 5 + 32) * 10) / 10,
  },

  pick_lists: {
    temperature_units: (connection) => [["Celsius (°C)", "celsius"], ["Fahrenheit (°F)", "fahrenheit"]],
    wind_speed_units: (connection) => [["km/h", "kmh"], ["m/s", "ms"], ["mph", "mph"], ["Knots", "kn"]],
  },
};
